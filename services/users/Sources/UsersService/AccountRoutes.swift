import Auth
import Foundation
import Hummingbird
import Platform

/// Registration, the caller's own account, and what administrators do to accounts (`/v1/users`).
enum AccountRoutes {
    struct Registration: Decodable {
        let email: String
        let password: String
        let displayName: String
    }

    struct Change: Decodable {
        let disabled: Bool?
        let role: String?
    }

    static let user = Schema.object(
        ["id": Schema.id, "email": Schema.string, "displayName": Schema.string, "role": Schema.enumeration(["user", "admin"]),
         "disabled": Schema.boolean, "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime],
        required: ["id", "email", "displayName", "role", "disabled", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: UsersCore) {
        api.schema("User", user)

        api.post("/v1/users", OperationDoc(
            "Register an account (email unique; password ≥ 10 characters, not the email)", tags: ["users"],
            body: Schema.object(["email": Schema.string, "password": Schema.string, "displayName": Schema.string], required: ["email", "password", "displayName"]),
            status: 201, response: Schema.ref("User"), open: true
        )) { request, context in
            let body = try await request.decodeJSON(as: Registration.self, context: context)
            let email = try checkEmail(body.email)
            let name = body.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...200).contains(name.count) else { throw APIError.invalidField("displayName", "a display name has 1–200 characters") }
            try Passwords.check(body.password, email: email)
            if try await core.directory.user(email: email) != nil {
                throw APIError.conflict("an account with this email exists", code: "email_taken", field: "email")
            }
            let created = try await core.directory.create(email: email, displayName: name, passwordHash: try await core.passwords.hash(body.password), role: "user")
            return JSONResponse(UserView.public(created), status: .created)
        }

        api.get("/v1/users/me", OperationDoc("The caller's own account", tags: ["users"], response: Schema.ref("User"))) { _, context in
            let principal = try context.requirePrincipal()
            guard principal.kind == .user, let found = try await core.directory.user(id: principal.id) else {
                throw APIError.notFound("a service token has no account")
            }
            return JSONResponse(UserView.public(found))
        }

        api.get("/v1/users", OperationDoc(
            "Every account, oldest first (administrators only)", tags: ["users", "admin"],
            query: PageRequest.parameters(),
            response: Schema.object(["items": Schema.array(of: Schema.ref("User")), "nextAfter": Schema.id], required: ["items"])
        )) { request, context in
            try context.requirePrincipal().requireAdmin()
            let page = try PageRequest(request)
            return JSONResponse(page.response(try await core.directory.users(limit: page.limit, after: page.after), view: UserView.public))
        }

        api.get("/v1/users/{id}", OperationDoc(
            "One account (the user itself, administrators, and services with the users.read scope)", tags: ["users"], response: Schema.ref("User")
        )) { _, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.requireID("id")
            guard principal.id == id || principal.isAdmin || principal.scopes.contains(ServiceAccounts.usersReadScope) else {
                throw APIError.forbidden("this needs an administrator or the users.read scope")
            }
            guard let found = try await core.directory.user(id: id) else { throw APIError.notFound("no user \(id)") }
            return JSONResponse(UserView.public(found))
        }

        api.patch("/v1/users/{id}", OperationDoc(
            "Disable or enable an account, or change its role (administrators only)", tags: ["users", "admin"],
            body: Schema.object(["disabled": Schema.boolean, "role": Schema.enumeration(["user", "admin"])]), response: Schema.ref("User")
        )) { request, context in
            let principal = try context.requirePrincipal()
            try principal.requireAdmin()
            let id = try context.parameters.requireID("id")
            let change = try await request.decodeJSON(as: Change.self, context: context)
            if let role = change.role, !["user", "admin"].contains(role) { throw APIError.invalidField("role", "role is user or admin") }
            guard change.disabled != nil || change.role != nil else { throw APIError.badRequest("give disabled and/or role", code: "empty_change") }
            if id == principal.id { throw APIError.badRequest("administrators cannot disable or demote themselves", code: "own_account", field: "id") }
            var updated = JSONValue.null
            if let role = change.role {
                updated = try await core.directory.update(id, set: ["role": .string(role)], verb: "user.role.changed")
                core.verifier.claimsChanged(for: id)
            }
            if let disabled = change.disabled {
                updated = try await core.directory.update(id, set: ["disabled": .bool(disabled)], verb: disabled ? "user.disabled" : "user.enabled")
                core.verifier.setDisabled(id, disabled)
                if disabled { try await core.directory.revokeSessions(of: id) }
            }
            return JSONResponse(UserView.public(updated))
        }
    }

    /// A usable address, lowercased: one `@`, a dotted domain, no spaces, at most 254 bytes.
    static func checkEmail(_ text: String) throws -> String {
        let email = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        let valid = email.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !email.contains(where: { $0.isWhitespace || $0.isNewline })
        guard valid else { throw APIError(.badRequest, code: "invalid_email", message: "not an email address", field: "email") }
        return email
    }
}
