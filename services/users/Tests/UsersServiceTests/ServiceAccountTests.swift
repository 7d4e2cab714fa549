import Auth
import Bus
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Platform
import PlatformTesting
import Synchronization
import Testing
import UsersService

/// Services as another process sees them: a live users server on a real port, reached over
/// HTTP with the same clients the other services use.
@Suite("users: service accounts and other services' view")
struct ServiceAccountTests {
    @Test("a service exchanges its generated credential for a scoped service token; wrong ones are refused")
    func serviceTokens() async throws {
        let (app, state) = try await usersApp()
        try await app.test(.live) { client in
            let users = UsersClient(baseURL: "http://127.0.0.1:\(try #require(client.port))")
            let credential = try ServiceCredential.load(.compute, stateDirectory: state, file: "")
            let source = ServiceTokenSource(service: .compute, credential: credential, users: users)
            let token = try await source.token()
            #expect(try await source.token() == token, "reused until shortly before it expires")

            let verifier = TokenVerifier(keySource: { try await users.jwks() }) { _ in nil }
            try await verifier.refreshKeys()
            let principal = try await verifier.authenticate(token)
            #expect(principal.kind == .service && principal.id == "compute" && principal.credential == .serviceToken)
            #expect(principal.scopes == [Authorizer.readScope, Authorizer.writeScope])
            #expect(
                try await client.call(.get, "/v1/users/me", token: token).status == .notFound,
                "a service has no account")

            let wrong = try await client.call(
                .post, "/v1/sessions/service", json: #"{"service": "compute", "credential": "guess"}"#)
            #expect(wrong.status == .unauthorized && wrong.body["error"]?["code"] == "invalid_credentials")
            let unknown = try await client.call(
                .post, "/v1/sessions/service", json: #"{"service": "web", "credential": "\#(credential)"}"#)
            #expect(unknown.status == .badRequest && unknown.body["error"]?["field"] == "service")
            let other = try await client.call(
                .post, "/v1/sessions/service", json: #"{"service": "mlhub", "credential": "\#(credential)"}"#)
            #expect(other.status == .unauthorized, "one service's credential is not another's")
        }
    }

    @Test(
        "no run of failed logins, forwarded from many addresses or from the services' own, denies a service its real credential"
    )
    func serviceNeverLockedOut() async throws {
        let (app, state) = try await usersApp()
        try await app.test(.live) { client in
            let credential = try ServiceCredential.load(.compute, stateDirectory: state, file: "")
            let gateway = try ServiceCredential.load(.web, stateDirectory: state, file: "")
            /// From `address` behind the gateway (which vouches for it), or from the peer itself.
            func serviceLogin(_ secret: String, from address: String? = nil) async throws -> HTTPResponse.Status {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let address {
                    headers[.forwardedFor] = address
                    headers[.gatewayProof] = gateway
                }
                let body = ByteBuffer(string: #"{"service": "compute", "credential": "\#(secret)"}"#)
                return try await client.execute(
                    uri: "/v1/sessions/service", method: .post, headers: headers, body: body
                ) { $0.status }
            }
            for index in 0..<25 {
                #expect(try await serviceLogin("guess-\(index)", from: "10.0.\(index).1") == .unauthorized)
            }
            var refused = 0
            for index in 0..<12 {
                if try await serviceLogin("guess-\(index)") == .tooManyRequests { refused += 1 }
            }
            #expect(refused == 2, "failures from one address are throttled from the 11th on")
            try await client.register("ada@lab.example")
            for _ in 0..<12 {
                _ = try await client.call(
                    .post, "/v1/sessions", json: #"{"email": "ada@lab.example", "password": "guess guess guess"}"#)
            }
            #expect(
                try await serviceLogin(credential) == .created, "the real credential, from the address that failed most"
            )
            #expect(try await serviceLogin(credential, from: "10.0.3.1") == .created)
        }
    }

    @Test("only the users.read scope, the user itself and administrators read an account")
    func usersReadScope() async throws {
        let (app, state) = try await usersApp()
        try await app.test(.live) { client in
            let users = UsersClient(baseURL: "http://127.0.0.1:\(try #require(client.port))")
            let ada = try await client.register("ada@lab.example")["id"]!.text
            let data = try await users.serviceToken(
                service: .data, credential: try ServiceCredential.load(.data, stateDirectory: state, file: "")
            ).token
            let mlhub = try await users.serviceToken(
                service: .mlhub, credential: try ServiceCredential.load(.mlhub, stateDirectory: state, file: "")
            ).token
            #expect(try await client.call(.get, "/v1/users/\(ada)", token: data).body["email"] == "ada@lab.example")
            #expect(try await client.call(.get, "/v1/users/\(ada)", token: mlhub).status == .forbidden)
            let own = try await client.login("ada@lab.example")["accessToken"]!.text
            #expect(try await client.call(.get, "/v1/users/\(ada)", token: own).status == .ok)
        }
    }

    @Test(
        "another service's authentication honours a revoked API token and a disabled user within moments, through mlex.users"
    )
    func revocationReachesOtherServices() async throws {
        let (app, state) = try await usersApp()
        try await app.test(.live) { client in
            // What, say, the data service sets up at start, pointed at this users server.
            let dataSettings = try await ServiceSettings.forTesting(
                .data, stateDirectory: state, extraSettings: ServiceAuthentication.settings,
                environment: ["MLEX_USERS_URL": "http://127.0.0.1:\(try #require(client.port))"]
            )
            let bus = try SQLiteLogBus(path: state.appendingPathComponent("bus.sqlite").path)
            // A long API-token cache, so only the event can explain a prompt refusal.
            let auth = try await ServiceAuthentication.start(
                settings: dataSettings, bus: bus, logger: quietLogger(), apiTokenCacheSeconds: 600)
            let verifier = auth.verifier
            let following = Task { try await auth.follower.run() }
            defer { following.cancel() }
            #expect(
                try await verifier.authenticate(try await auth.serviceTokens.token()).id == "data",
                "it can act as itself")

            try await client.register("ada@lab.example")
            let ada = try await client.login("ada@lab.example")["accessToken"]!.text
            let created = try await client.call(.post, "/v1/tokens", token: ada, json: #"{"name": "ci"}"#).body
            let apiToken = created["token"]!.text
            #expect(try await verifier.authenticate(apiToken).credential == .apiToken)
            #expect(
                try await client.call(.delete, "/v1/tokens/\(created["apiToken"]!["id"]!.text)", token: ada).status
                    == .noContent)
            #expect(
                await eventually {
                    await refusal(of: apiToken, by: verifier) == "the API token is unknown, expired or revoked"
                }, "refused long before the 600 s cache ends")

            #expect(try await verifier.authenticate(ada).kind == .user)
            let admin = try await client.login(adminEmail, password: adminPassword)["accessToken"]!.text
            let adaID = try claims(of: ada)["sub"]!.text
            #expect(
                try await client.call(.patch, "/v1/users/\(adaID)", token: admin, json: #"{"disabled": true}"#).status
                    == .ok)
            #expect(
                await eventually { await refusal(of: ada, by: verifier) != nil },
                "a disabled user's live access token stops working")

            // A service started later learns the same from the topic's history.
            let late = try await ServiceAuthentication.start(settings: dataSettings, bus: bus, logger: quietLogger())
            #expect(await refusal(of: ada, by: late.verifier) != nil)
        }
    }
}

/// Why `verifier` refuses `token` (the 401's message); nil when it accepts it. Any other
/// error (the users service unreachable, a bug) is not a refusal and fails the test.
func refusal(of token: String, by verifier: TokenVerifier) async -> String? {
    do {
        _ = try await verifier.authenticate(token)
        return nil
    } catch let error as APIError where error.status == .unauthorized {
        return error.message
    } catch {
        Issue.record("not a refusal: \(error)")
        return nil
    }
}

/// Polls `condition` for up to 10 s: events arrive within moments, and no test waits on a clock.
func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<200 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return false
}
