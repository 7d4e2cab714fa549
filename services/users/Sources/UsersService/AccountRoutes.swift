import Auth
import Foundation
import Hummingbird
import Platform

/// Registration, the caller's own account, and what administrators do to accounts (`/v1/users`).
enum AccountRoutes {
    static let user = Schema.object(
        [
            "id": Schema.id, "email": Schema.string, "displayName": Schema.string,
            "role": Schema.enumeration(Role.allCases.map(\.rawValue)),
            "disabled": Schema.boolean, "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime,
        ],
        required: ["id", "email", "displayName", "role", "disabled", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: UsersCore) {
        api.schema("User", user)

        api.post(
            "/v1/users",
            OperationDoc(
                "Register an account (email unique; password ≥ 10 characters, not the email)", tags: ["users"],
                body: Schema.object(
                    ["email": Schema.string, "password": Schema.string, "displayName": Schema.string],
                    required: ["email", "password", "displayName"]),
                status: 201, response: Schema.ref("User"), open: true
            ),
            use: core.auditTrail.auditing { request, context in
                let registration = try await request.decodeJSON(as: Registration.self, context: context)
                AuditNote.current?.account(registration.email)
                if try await core.directory.user(email: registration.email) != nil {
                    throw APIError.conflict("an account with this email exists", code: "email_taken", field: "email")
                }
                let created = try await core.directory.create(
                    email: registration.email, displayName: registration.displayName,
                    passwordHash: try await core.passwords.hash(registration.password), role: .user
                )
                return JSONResponse(try JSONValue(encoding: created.profile), status: .created)
            })

        api.get("/v1/users/me", OperationDoc("The caller's own account", tags: ["users"], response: Schema.ref("User")))
        { _, context in
            let principal = try context.requirePrincipal()
            guard principal.kind == .user, let found = try await core.directory.user(id: principal.id) else {
                throw APIError.notFound("a service token has no account")
            }
            return JSONResponse(try JSONValue(encoding: found.profile))
        }

        api.get(
            "/v1/users",
            OperationDoc(
                "Every account, oldest first (administrators only)", tags: ["users", "admin"],
                query: PageRequest.parameters(),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("User")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            try context.requirePrincipal().requireAdmin()
            let page = try PageRequest(request)
            let users = try await core.directory.users(limit: page.limit, after: page.after)
            return JSONResponse(page.response(try users.map { try JSONValue(encoding: $0.profile) }))
        }

        api.get(
            "/v1/users/{id}",
            OperationDoc(
                "One account (the user itself, administrators, and services with the users.read scope)",
                tags: ["users"], response: Schema.ref("User")
            )
        ) { _, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.requireID("id")
            guard principal.id == id || principal.isAdmin || principal.scopes.contains(ServiceAccounts.usersReadScope)
            else {
                throw APIError.forbidden("this needs an administrator or the users.read scope")
            }
            guard let found = try await core.directory.user(id: id) else { throw APIError.notFound("no user \(id)") }
            return JSONResponse(try JSONValue(encoding: found.profile))
        }

        api.patch(
            "/v1/users/{id}",
            OperationDoc(
                "Disable or enable an account, or change its role (administrators only)", tags: ["users", "admin"],
                body: Schema.object([
                    "disabled": Schema.boolean, "role": Schema.enumeration(Role.allCases.map(\.rawValue)),
                ]), response: Schema.ref("User")
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            try principal.requireAdmin()
            let id = try context.parameters.requireID("id")
            let change = try await request.decodeJSON(as: AccountChange.self, context: context)
            if id == principal.id {
                throw APIError.badRequest(
                    "administrators cannot disable or demote themselves", code: "own_account", field: "id")
            }
            var updated: User?
            if let role = change.role {
                updated = try await core.directory.update(id, verb: "user.role.changed") { $0.role = role }
                core.verifier.claimsChanged(for: id)
            }
            if let disabled = change.disabled {
                updated = try await core.directory.update(id, verb: disabled ? "user.disabled" : "user.enabled") {
                    $0.disabled = disabled
                }
                core.verifier.setDisabled(id, disabled)
                if disabled { try await core.directory.revokeSessions(of: id) }
            }
            // An AccountChange holds a role or disabled, so one of the two ran.
            guard let updated else { throw APIError.badRequest("give disabled and/or role", code: "empty_change") }
            return JSONResponse(try JSONValue(encoding: updated.profile))
        }
    }
}
