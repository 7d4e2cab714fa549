import Auth
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Platform
import PlatformTesting
import Synchronization
import Testing

/// A signer standing in for the users service: real Ed25519 keys, real JWTs.
struct TestIssuer {
    let kid: String
    let key = Curve25519.Signing.PrivateKey()

    init(kid: String = "k1") {
        self.kid = kid
    }

    var jwks: String { JWKSDocument.make([(kid, key.publicKey)]).jsonText }

    func token(
        subject: String = "u1", role: String = "user", teams: [String] = [], kind: Principal.Kind = .user,
        scope: [String] = [], lifetime: TimeInterval = 900, issuedAt: Date = Date()
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
        return try await keys.sign(
            AccessClaims(
                subject: subject, kind: kind, role: role, teams: teams, scope: scope, sessionID: "s1",
                issuedAt: issuedAt, lifetime: lifetime), kid: JWKIdentifier(string: kid))
    }
}

func unauthorizedMessage(_ operation: () async throws -> Principal) async -> String? {
    do {
        _ = try await operation()
        return nil
    } catch let error as APIError {
        return error.status == .unauthorized ? error.message : "status \(error.status)"
    } catch {
        return "\(error)"
    }
}

@Suite("Token verification")
struct TokenVerifierTests {
    @Test("a signed access token gives its principal; expired, tampered and foreign tokens are refused")
    func accessTokens() async throws {
        let issuer = TestIssuer()
        let verifier = TokenVerifier(keySource: nil) { _ in nil }
        try await verifier.load(jwks: issuer.jwks)
        let principal = try await verifier.authenticate(try await issuer.token(role: "admin", teams: ["t1"]))
        #expect(
            principal
                == Principal(
                    id: "u1", kind: .user, credential: .accessToken, role: "admin", teams: ["t1"], sessionID: "s1"))
        #expect(principal.isAdmin)

        let expired = try await issuer.token(lifetime: 60, issuedAt: Date().addingTimeInterval(-3600))
        #expect(await unauthorizedMessage { try await verifier.authenticate(expired) }?.contains("expired") == true)
        var tampered = Array(try await issuer.token())
        tampered[tampered.count / 2] = tampered[tampered.count / 2] == "A" ? "B" : "A"
        #expect(await unauthorizedMessage { try await verifier.authenticate(String(tampered)) } != nil)
        let stranger = try await TestIssuer().token()
        #expect(await unauthorizedMessage { try await verifier.authenticate(stranger) } != nil, "same kid, another key")
        #expect(await unauthorizedMessage { try await verifier.authenticate("not.a.jwt") } != nil)
    }

    @Test("a token accepted (and cached) while valid is refused once it expires", .timeLimit(.minutes(1)))
    func cachedTokenExpires() async throws {
        let issuer = TestIssuer()
        let verifier = TokenVerifier(keySource: nil) { _ in nil }
        try await verifier.load(jwks: issuer.jwks)
        // Lifetimes are whole seconds in the claim: two of them, already half gone.
        let token = try await issuer.token(lifetime: 2, issuedAt: Date().addingTimeInterval(-1))
        #expect(try await verifier.authenticate(token).id == "u1")
        var refusal: String?
        for _ in 0..<100 where refusal == nil {
            refusal = await unauthorizedMessage { try await verifier.authenticate(token) }
            if refusal == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(refusal?.contains("expired") == true, "\(String(describing: refusal))")
    }

    @Test("a token signed with a key not yet known makes the verifier fetch the keys again (rotation)")
    func rotation() async throws {
        let old = TestIssuer(kid: "old")
        let new = TestIssuer(kid: "new")
        let published = Mutex(old.jwks)
        let fetches = Mutex(0)
        let verifier = TokenVerifier(
            keySource: {
                fetches.withLock { $0 += 1 }
                return published.withLock { $0 }
            },
            apiTokens: { _ in nil }
        )
        try await verifier.refreshKeys()
        _ = try await verifier.authenticate(try await old.token())
        published.withLock {
            $0 = JWKSDocument.make([(old.kid, old.key.publicKey), (new.kid, new.key.publicKey)]).jsonText
        }
        // The last fetch was just now; a refresh is allowed again after a few seconds.
        try await Task.sleep(for: .seconds(5.2))
        #expect(try await verifier.authenticate(try await new.token(subject: "u2")).id == "u2")
        #expect(try await verifier.authenticate(try await old.token(subject: "u3")).id == "u3", "old tokens live on")
        #expect(fetches.withLock { $0 } == 2)
    }

    @Test("API tokens are looked up, cached briefly, and forgotten on revocation; disabled users are refused")
    func apiTokensAndDisabledUsers() async throws {
        let lookups = Mutex(0)
        let revoked = Mutex(false)
        let verifier = TokenVerifier(keySource: nil) { secret in
            lookups.withLock { $0 += 1 }
            guard secret == "mlx_good", !revoked.withLock({ $0 }) else { return nil }
            return .init(
                principal: Principal(id: "u9", kind: .user, credential: .apiToken), tokenID: "t9", expiresAt: nil)
        }
        #expect(try await verifier.authenticate("mlx_good").id == "u9")
        #expect(try await verifier.authenticate("mlx_good").credential == .apiToken)
        #expect(lookups.withLock { $0 } == 1, "the second use is served from the cache")
        revoked.withLock { $0 = true }
        verifier.forgetAPIToken(id: "t9")
        #expect(await unauthorizedMessage { try await verifier.authenticate("mlx_good") } != nil)
        #expect(await unauthorizedMessage { try await verifier.authenticate("mlx_unknown") } != nil)

        let issuer = TestIssuer()
        try await verifier.load(jwks: issuer.jwks)
        let token = try await issuer.token(subject: "u5")
        _ = try await verifier.authenticate(token)
        verifier.setDisabled("u5", true)
        #expect(await unauthorizedMessage { try await verifier.authenticate(token) }?.contains("disabled") == true)
        verifier.setDisabled("u5", false)
        #expect(try await verifier.authenticate(token).id == "u5")
    }
}

/// A membership source that answers a fixed role per project and user. How a user's own role
/// and their teams' combine is the sources' business, tested against the real ones (data's
/// ProjectTests "a role granted to a team…"); here only what the authorizer does with the answer.
struct TestMemberships: MembershipSource {
    let roles: [String: [String: ProjectRole]]

    func role(of userID: String, teams: [String], in projectID: String) async throws -> ProjectRole? {
        roles[projectID]?[userID]
    }
}

@Suite("Authorizer")
struct AuthorizerTests {
    let authorizer = Authorizer(
        memberships: TestMemberships(roles: ["p1": ["alice": .owner, "bob": .viewer, "dave": .editor]]))

    func user(_ id: String, teams: [String] = [], role: String = "user") -> Principal {
        Principal(id: id, kind: .user, credential: .accessToken, role: role, teams: teams)
    }

    func status(_ needed: ProjectRole, _ principal: Principal, on project: String = "p1") async -> Int {
        do {
            try await authorizer.require(needed, on: project, for: principal)
            return 200
        } catch let error as APIError {
            return Int(error.status.code)
        } catch {
            return 500
        }
    }

    @Test("viewer < editor < owner; admins pass; strangers see 404, members too low 403")
    func roles() async throws {
        #expect(await status(.owner, user("alice")) == 200)
        #expect(await status(.viewer, user("bob")) == 200)
        #expect(await status(.editor, user("bob")) == 403)
        #expect(await status(.viewer, user("dave")) == 200, "a higher role passes a lower need")
        #expect(await status(.editor, user("dave")) == 200)
        #expect(await status(.owner, user("dave")) == 403)
        #expect(await status(.viewer, user("mallory")) == 404)
        #expect(await status(.viewer, user("alice"), on: "p2") == 404)
        #expect(await status(.owner, user("root", role: "admin"), on: "p2") == 200)
    }

    @Test("service tokens act by scope, never as owners")
    func services() async throws {
        let reader = Principal(id: "mlhub", kind: .service, credential: .serviceToken, scopes: [Authorizer.readScope])
        let writer = Principal(
            id: "compute", kind: .service, credential: .serviceToken, scopes: [Authorizer.writeScope])
        #expect(await status(.viewer, reader) == 200)
        #expect(await status(.editor, reader) == 403)
        #expect(await status(.editor, writer) == 200)
        #expect(await status(.owner, writer) == 403)
        #expect(await status(.viewer, Principal(id: "x", kind: .service, credential: .serviceToken)) == 404)
    }
}

@Suite("Auth middleware")
struct AuthMiddlewareTests {
    @Test("routes not documented as open answer 401 without a valid bearer token")
    func guardsRoutes() async throws {
        let issuer = TestIssuer()
        let verifier = TokenVerifier(keySource: nil) { _ in nil }
        try await verifier.load(jwks: issuer.jwks)
        let settings = try await ServiceSettings.forTesting(.tag, stateDirectory: try temporaryDirectory())
        let app = try PlatformApplication.build(
            info: ServiceInfo(name: .tag, title: "t", summary: "t"), settings: settings, logger: quietLogger(),
            context: AuthRequestContext.self,
            authentication: AuthMiddleware(verifier: verifier)
        ) { api in
            api.get("/v1/whoami", OperationDoc("who", response: Schema.string)) { _, context in
                try context.requirePrincipal().id
            }
            api.get("/v1/open", OperationDoc("open", response: Schema.string, open: true)) { _, _ in "anyone" }
        }
        let token = try await issuer.token(subject: "u7")
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/whoami", method: .get) {
                #expect($0.status == .unauthorized)
                #expect($0.body.apiError["code"] as? String == "unauthorized")
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Basic abc"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearer nonsense"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body) == "u7")
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "bEaReR   \(token)  "])
            { #expect($0.status == .ok, "scheme in any case, spaces around") }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearer"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearer   "]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearerx \(token)"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/open", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }
}
