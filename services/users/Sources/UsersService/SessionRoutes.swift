import Auth
import Foundation
import Hummingbird
import Platform

/// Login, refresh and logout (`/v1/sessions`).
enum SessionRoutes {
    static let tokens = Schema.object(
        [
            "accessToken": Schema.string, "tokenType": Schema.string, "expiresIn": Schema.integer,
            "refreshToken": Schema.string, "user": Schema.ref("User"),
        ],
        required: ["accessToken", "tokenType", "expiresIn", "refreshToken", "user"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: UsersCore) {
        api.post(
            "/v1/sessions",
            OperationDoc(
                "Log in: an access token (JWT, EdDSA) and a refresh token; repeated failures are slowed, then refused (429)",
                tags: ["sessions"],
                body: Schema.object(
                    ["email": Schema.string, "password": Schema.string], required: ["email", "password"]),
                status: 201, response: tokens, open: true
            ),
            use: core.auditTrail.auditing { request, context in
                try await login(request, context, core)
            })

        api.post(
            "/v1/sessions/refresh",
            OperationDoc(
                "Exchange a refresh token for new tokens; the refresh token rotates, and reusing an old one revokes the session",
                tags: ["sessions"], body: Schema.object(["refreshToken": Schema.string], required: ["refreshToken"]),
                response: tokens, open: true
            ),
            use: core.auditTrail.auditing { request, context in
                let body = try await request.decodeJSON(as: RefreshRequest.self, context: context)
                switch try await core.directory.rotate(body.refreshToken, lifetime: core.settings.refreshTokenLifetime)
                {
                case .refused(let reason):
                    throw APIError(.unauthorized, code: "invalid_refresh_token", message: reason)
                case .rotated(let userID, let sessionID, let refreshToken):
                    guard let user = try await core.directory.user(id: userID), !user.disabled else {
                        throw APIError(.unauthorized, code: "invalid_refresh_token", message: "the account is disabled")
                    }
                    AuditNote.current?.actor(.init(kind: .user, id: user.id, tokenID: sessionID))
                    return JSONResponse(
                        try JSONValue(
                            encoding: try await core.issueTokens(
                                for: user, sessionID: sessionID, refreshToken: refreshToken)))
                }
            })

        api.post(
            "/v1/sessions/service",
            OperationDoc(
                "Log a service in: its credential (generated into the state dir, or a compose secret) for a short-lived service token carrying the service's scopes",
                tags: ["sessions", "services"],
                body: Schema.object(
                    ["service": Schema.string, "credential": Schema.string], required: ["service", "credential"]),
                status: 201,
                response: Schema.object(
                    [
                        "accessToken": Schema.string, "tokenType": Schema.string, "expiresIn": Schema.integer,
                        "scopes": Schema.array(of: Schema.string),
                    ],
                    required: ["accessToken", "tokenType", "expiresIn", "scopes"]
                ), open: true
            ),
            use: core.auditTrail.auditing { request, context in
                let login = try await request.decodeJSON(as: ServiceLogin.self, context: context)
                let service = login.service
                AuditNote.current?.account(service.rawValue)
                // A credential is 48 random bytes: guessing it is hopeless, so the right one is never
                // throttled — whoever else fails, from wherever, a restarted agent can log in. Only
                // failures are counted and slowed, per address and never per service, so nobody can
                // lock a service account out.
                guard let scopes = core.serviceAccounts.verify(service: service, credential: login.credential) else {
                    let keys = ["service-address:\(core.clientAddress(request, peer: context.remoteAddress))"]
                    try await core.admit(keys)
                    core.throttle.recordFailure(for: keys)
                    throw APIError(
                        .unauthorized, code: "invalid_credentials", message: "wrong credential for \(service.rawValue)")
                }
                let claims = AccessClaims(
                    subject: service.rawValue, kind: .service, role: "service", teams: [], scope: scopes,
                    sessionID: nil, issuedAt: Date(), lifetime: core.settings.serviceTokenLifetime
                )
                let token = ServiceToken(
                    accessToken: try await core.keys.sign(claims), expiresIn: Int64(core.settings.serviceTokenLifetime),
                    scopes: scopes)
                AuditNote.current?.actor(.init(kind: .service, id: service.rawValue))
                return JSONResponse(try JSONValue(encoding: token), status: .created)
            })

        api.delete(
            "/v1/sessions/current",
            OperationDoc(
                "Log out: ends the session of this access token (its refresh token stops working)", tags: ["sessions"],
                status: 204)
        ) { _, context in
            let principal = try context.requirePrincipal()
            guard let sessionID = principal.sessionID else {
                throw APIError.badRequest(
                    "only a login session can be logged out; revoke an API token instead", code: "not_a_session")
            }
            try await core.directory.revokeSession(sessionID)
            return HTTPResponse.Status.noContent
        }
    }

    /// `POST /v1/sessions`. The audit entry names the account tried, and once signed in the user
    /// and the new session; never the password.
    static func login(
        _ request: Request, _ context: AuthRequestContext, _ core: UsersCore
    ) async throws -> JSONResponse<JSONValue> {
        let login = try await request.decodeJSON(as: Login.self, context: context)
        AuditNote.current?.account(login.email)
        let keys = [
            "account:\(login.email)", "address:\(core.clientAddress(request, peer: context.remoteAddress))",
        ]
        try await core.admit(keys)
        let user = try await core.directory.user(email: login.email)
        let matches = try await core.passwords.verify(login.password, hash: user?.passwordHash ?? core.passwords.decoy)
        guard let user, matches else {
            core.throttle.recordFailure(for: keys)
            throw APIError(.unauthorized, code: "invalid_credentials", message: "wrong email or password")
        }
        guard !user.disabled else {
            throw APIError(
                .forbidden, code: "account_disabled", message: "this account is disabled; ask an administrator")
        }
        core.throttle.recordSuccess(for: keys[0])
        let session = try await core.directory.startSession(
            userID: user.id, lifetime: core.settings.refreshTokenLifetime)
        AuditNote.current?.actor(.init(kind: .user, id: user.id, tokenID: session.sessionID, name: login.email))
        let tokens = try await core.issueTokens(
            for: user, sessionID: session.sessionID, refreshToken: session.refreshToken)
        return JSONResponse(try JSONValue(encoding: tokens), status: .created)
    }
}
