import Auth
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Platform
import PlatformTesting
import Testing
import UsersService

@Suite("users: accounts and sessions")
struct AccountTests {
    @Test("register validates email and password, names the rule, and refuses a taken email")
    func registration() async throws {
        let (app, _) = try await usersApp()
        try await app.test(.router) { client in
            let created = try await client.register("Ada@Lab.example")
            #expect(created["email"] == "ada@lab.example")
            #expect(created["role"] == "user")
            #expect(created["passwordHash"] == nil)
            let cases: [(String, String, String)] = [
                (
                    #"{"email": "ada@lab.example", "password": "another long one", "displayName": "x"}"#, "email_taken",
                    "email"
                ),
                (
                    #"{"email": "not-an-email", "password": "long enough pass", "displayName": "x"}"#, "invalid_email",
                    "email"
                ),
                (
                    #"{"email": "b@lab.example", "password": "short", "displayName": "x"}"#, "password_too_short",
                    "password"
                ),
                (
                    #"{"email": "carol@lab.example", "password": "Carol@Lab.example", "displayName": "x"}"#,
                    "password_is_email", "password"
                ),
                (#"{"email": "d@lab.example", "password": "long enough pass"}"#, "missing_field", "displayName"),
            ]
            for (json, code, field) in cases {
                let (status, body) = try await client.call(.post, "/v1/users", json: json)
                #expect(status == (code == "email_taken" ? .conflict : .badRequest), "\(json)")
                #expect(body["error"]?["code"]?.text == code, "\(body)")
                #expect(body["error"]?["field"]?.text == field, "\(body)")
            }
        }
    }

    @Test("login, me, refresh with rotation, reuse detection, logout")
    func sessions() async throws {
        let (app, _) = try await usersApp()
        try await app.test(.router) { client in
            try await client.register("ada@lab.example")
            let (wrong, error) = try await client.call(
                .post, "/v1/sessions", json: #"{"email": "ada@lab.example", "password": "not the password"}"#)
            #expect(wrong == .unauthorized)
            #expect(error["error"]?["code"] == "invalid_credentials")

            let first = try await client.login("ada@lab.example")
            #expect(first["tokenType"] == "Bearer")
            #expect(first["expiresIn"] == 900)
            let me = try await client.call(.get, "/v1/users/me", token: first["accessToken"]!.text)
            #expect(me.status == .ok)
            #expect(me.body["email"] == "ada@lab.example")

            let refreshed = try await client.call(
                .post, "/v1/sessions/refresh", json: #"{"refreshToken": "\#(first["refreshToken"]!.text)"}"#)
            #expect(refreshed.status == .ok)
            #expect(refreshed.body["refreshToken"] != first["refreshToken"])
            #expect(
                try await client.call(.get, "/v1/users/me", token: refreshed.body["accessToken"]!.text).status == .ok)

            // The first refresh token was used: using it again means it leaked.
            let reuse = try await client.call(
                .post, "/v1/sessions/refresh", json: #"{"refreshToken": "\#(first["refreshToken"]!.text)"}"#)
            #expect(reuse.status == .unauthorized)
            #expect(reuse.body["error"]?["message"]?.text.contains("revoked") == true)
            let afterReuse = try await client.call(
                .post, "/v1/sessions/refresh", json: #"{"refreshToken": "\#(refreshed.body["refreshToken"]!.text)"}"#)
            #expect(afterReuse.status == .unauthorized, "the whole session ended")

            let second = try await client.login("ada@lab.example")
            #expect(
                try await client.call(.delete, "/v1/sessions/current", token: second["accessToken"]!.text).status
                    == .noContent)
            let afterLogout = try await client.call(
                .post, "/v1/sessions/refresh", json: #"{"refreshToken": "\#(second["refreshToken"]!.text)"}"#)
            #expect(afterLogout.status == .unauthorized)
        }
    }

    @Test("administrators list, disable and promote; others get 403; a disabled user is refused at once")
    func administration() async throws {
        let (app, _) = try await usersApp()
        try await app.test(.router) { client in
            let ada = try await client.register("ada@lab.example")
            let adaToken = try await client.login("ada@lab.example")["accessToken"]!.text
            let admin = try await client.login(adminEmail, password: adminPassword)["accessToken"]!.text
            #expect(try await client.call(.get, "/v1/users", token: adaToken).status == .forbidden)
            #expect(
                try await client.call(
                    .patch, "/v1/users/\(ada["id"]!.text)", token: adaToken, json: #"{"disabled": true}"#
                ).status == .forbidden)

            let page = try await client.call(.get, "/v1/users?limit=1", token: admin)
            #expect(page.status == .ok)
            #expect(page.body["items"]?.arrayValue?.count == 1)
            let next = try await client.call(
                .get, "/v1/users?limit=1&after=\(page.body["nextAfter"]!.text)", token: admin)
            #expect(next.body["items"]?.arrayValue?.first?["email"] == "ada@lab.example")
            #expect(try await client.call(.get, "/v1/users?limit=0", token: admin).body["error"]?["field"] == "limit")

            let disabled = try await client.call(
                .patch, "/v1/users/\(ada["id"]!.text)", token: admin, json: #"{"disabled": true}"#)
            #expect(disabled.body["disabled"] == true)
            #expect(try await client.call(.get, "/v1/users/me", token: adaToken).status == .unauthorized)
            let login = try await client.call(
                .post, "/v1/sessions", json: #"{"email": "ada@lab.example", "password": "a long enough pass"}"#)
            #expect(login.status == .forbidden)
            #expect(login.body["error"]?["code"] == "account_disabled")

            _ = try await client.call(
                .patch, "/v1/users/\(ada["id"]!.text)", token: admin, json: #"{"disabled": false, "role": "admin"}"#)
            let promoted = try await client.login("ada@lab.example")["accessToken"]!.text
            #expect(try await client.call(.get, "/v1/users", token: promoted).status == .ok)
        }
    }

    @Test("repeated failed logins are slowed, then refused with 429")
    func lockout() async throws {
        let (app, _) = try await usersApp()
        try await app.test(.router) { client in
            try await client.register("ada@lab.example")
            for attempt in 1...10 {
                let started = ContinuousClock.now
                let (status, _) = try await client.call(
                    .post, "/v1/sessions", json: #"{"email": "ada@lab.example", "password": "guess guess guess"}"#)
                let took = ContinuousClock.now - started
                #expect(status == .unauthorized)
                // A lower bound only: a busy machine makes an attempt slower, never faster.
                if attempt > 5 {
                    #expect(took >= .seconds(1), "attempt \(attempt) after five failures is slowed by a second")
                }
            }
            let refused = try await client.call(
                .post, "/v1/sessions", json: #"{"email": "ada@lab.example", "password": "a long enough pass"}"#)
            #expect(refused.status == .tooManyRequests, "even the right password waits out the lock")
            #expect(refused.body["error"]?["code"] == "rate_limited")
            let waited = try await client.execute(
                uri: "/v1/sessions", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email": "ada@lab.example", "password": "x"}"#)
            ) { $0.headers[.retryAfter] }
            #expect(
                waited.flatMap(Int.init).map { $0 > 800 && $0 <= 900 } == true,
                "Retry-After says when the 15-minute window ends")
        }
    }

    @Test(
        "throttling counts the client behind the gateway only when the gateway's credential vouches for its X-Forwarded-For",
        .timeLimit(.minutes(2)))
    func forwardedAddresses() async throws {
        let (app, state) = try await usersApp()
        let proof = try ServiceCredential.load(.web, stateDirectory: state, file: "")
        try await app.test(.live) { client in
            func login(_ email: String, from address: String, vouched: Bool) async throws -> HTTPResponse.Status {
                var headers: HTTPFields = [.contentType: "application/json", .forwardedFor: address]
                if vouched { headers[.gatewayProof] = proof }
                let body = ByteBuffer(string: #"{"email": "\#(email)", "password": "guess guess guess"}"#)
                return try await client.execute(uri: "/v1/sessions", method: .post, headers: headers, body: body) {
                    $0.status
                }
            }
            // Vouched: ten failures from one client lock that client out, not the next one.
            for index in 0..<10 { _ = try await login("a\(index)@lab.example", from: "10.0.0.1", vouched: true) }
            #expect(try await login("fresh@lab.example", from: "10.0.0.1", vouched: true) == .tooManyRequests)
            #expect(try await login("fresh@lab.example", from: "10.0.0.2", vouched: true) == .unauthorized)
            // Not vouched: any local process could claim any address, so the peer itself counts.
            for index in 0..<10 {
                _ = try await login("b\(index)@lab.example", from: "10.1.0.\(index)", vouched: false)
            }
            #expect(try await login("other@lab.example", from: "10.1.0.99", vouched: false) == .tooManyRequests)
        }
    }

    @Test("without a password file the first admin's password is generated once, kept private and survives restarts")
    func generatedAdminPassword() async throws {
        let (app, state) = try await usersApp(adminPasswordFromFile: false)
        let file = state.appendingPathComponent("secrets/initial-admin-password")
        let password = try String(contentsOf: file, encoding: .utf8)
        #expect(password.count == 24)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o600)
        try await app.test(.router) { client in
            let session = try await client.login(adminEmail, password: password)
            #expect(session["user"]?["role"] == "admin")
        }
        let (again, _) = try await usersApp(state: state, adminPasswordFromFile: false)
        try await again.test(.router) { client in
            let session = try await client.login(adminEmail, password: password)
            #expect(session["accessToken"] != nil)
        }
    }
}
