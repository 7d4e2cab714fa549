import Auth
import Foundation
import Hummingbird
import Platform

/// Personal API tokens (`/v1/tokens`), the public keys (`/.well-known/jwks.json`) and their rotation.
enum TokenRoutes {
    static let token = Schema.object(
        [
            "id": Schema.id, "name": Schema.string, "prefix": Schema.string, "createdAt": Schema.dateTime,
            "expiresAt": Schema.dateTime, "lastUsedAt": Schema.dateTime,
        ],
        required: ["id", "name", "prefix", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: UsersCore) {
        api.schema("APIToken", token)

        api.post(
            "/v1/tokens",
            OperationDoc(
                "Create a personal API token for scripts and CI; the secret (`mlx_…`) is in this answer only",
                tags: ["tokens"],
                body: Schema.object(["name": Schema.string, "expiresInDays": Schema.integer], required: ["name"]),
                status: 201,
                response: Schema.object(
                    ["token": Schema.string, "apiToken": Schema.ref("APIToken")], required: ["token", "apiToken"])
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            guard principal.kind == .user else { throw APIError.forbidden("only people have personal API tokens") }
            let creation = try await request.decodeJSON(as: APITokenCreation.self, context: context)
            let created = try await core.directory.createAPIToken(
                userID: principal.id, name: creation.name, expires: creation.expires)
            AuditNote.current?.entity(created.token.id)
            return JSONResponse(
                try JSONValue(encoding: CreatedAPIToken(token: created.secret, apiToken: created.token.summary)),
                status: .created)
        }

        api.get(
            "/v1/tokens",
            OperationDoc(
                "The caller's live API tokens (never their secrets)", tags: ["tokens"],
                response: Schema.object(["items": Schema.array(of: Schema.ref("APIToken"))]))
        ) { _, context in
            let principal = try context.requirePrincipal()
            let tokens = try await core.directory.apiTokens(of: principal.id)
            return JSONResponse(
                JSONValue.object(["items": .array(try tokens.map { try JSONValue(encoding: $0.summary) })]))
        }

        api.delete(
            "/v1/tokens/{id}",
            OperationDoc(
                "Revoke one of the caller's API tokens; services stop accepting it within seconds", tags: ["tokens"],
                status: 204)
        ) { _, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.requireID("id")
            guard try await core.directory.revokeAPIToken(id, of: principal.id) else {
                throw APIError.notFound("no live token \(id)")
            }
            core.verifier.forgetAPIToken(id: id)
            return HTTPResponse.Status.noContent
        }

        api.get(
            "/v1/tokens/current",
            OperationDoc(
                "The API token this request was made with and its owner: how other services check a token",
                tags: ["tokens"],
                response: Schema.object(
                    [
                        "id": Schema.id, "userId": Schema.id, "role": Schema.string,
                        "teams": Schema.array(of: Schema.id), "expiresAt": Schema.dateTime,
                    ], required: ["id", "userId", "role"])
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            guard principal.credential == .apiToken, let secret = bearer(request),
                let token = try await core.directory.apiToken(secret: secret)
            else {
                throw APIError.notFound("this request was not made with an API token")
            }
            let current = CurrentAPIToken(
                id: token.id, userId: principal.id, role: principal.role, teams: principal.teams,
                expiresAt: token.expiresAt)
            return JSONResponse(try JSONValue(encoding: current))
        }

        api.get(
            "/.well-known/jwks.json",
            OperationDoc(
                "The public keys that verify access tokens (RFC 7517)", tags: ["keys"], response: Schema.anyObject,
                open: true)
        ) { _, _ in
            JSONResponse(core.keys.jwks)
        }

        api.post(
            "/v1/keys/rotate",
            OperationDoc(
                "Sign new tokens with a new key; the old one stays published while its tokens live (administrators only)",
                tags: ["keys", "admin"],
                status: 201, response: Schema.object(["kid": Schema.string], required: ["kid"])
            )
        ) { _, context in
            try context.requirePrincipal().requireAdmin()
            let kid = try await core.keys.rotate()
            try await core.verifier.load(jwks: core.keys.jwks.jsonText)
            return JSONResponse(JSONValue.object(["kid": .string(kid)]), status: .created)
        }
    }

    static func bearer(_ request: Request) -> String? {
        request.headers[.authorization]?.split(separator: " ", maxSplits: 1).last.map(String.init)
    }
}
