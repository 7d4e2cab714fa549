import Auth
import Bus
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing
import UsersService

@Suite("users: API tokens, keys, events and the open list")
struct TokenTests {
    @Test("an API token is shown once, works as a bearer token, is listed without its secret, and stops on revocation")
    func apiTokens() async throws {
        let (app, _) = try await usersApp()
        try await app.test(.router) { client in
            try await client.register("ada@lab.example")
            let session = try await client.login("ada@lab.example")["accessToken"]!.text
            let created = try await client.call(
                .post, "/v1/tokens", token: session, json: #"{"name": "ci", "expiresInDays": 30}"#)
            #expect(created.status == .created)
            let secret = created.body["token"]!.text
            #expect(secret.hasPrefix("mlx_"))
            #expect(try await client.call(.get, "/v1/users/me", token: secret).body["email"] == "ada@lab.example")
            let current = try await client.call(.get, "/v1/tokens/current", token: secret)
            #expect(current.body["id"] == created.body["apiToken"]?["id"])
            #expect(try await client.call(.get, "/v1/tokens/current", token: session).status == .notFound)

            let listed = try await client.call(.get, "/v1/tokens", token: session).body["items"]?.arrayValue ?? []
            #expect(listed.count == 1)
            #expect(listed.first?["prefix"]?.text == String(secret.prefix(12)))
            #expect(!listed.first!.jsonText.contains(String(secret.dropFirst(12))), "the secret is never listed")
            #expect(
                try await client.call(.post, "/v1/tokens", token: session, json: #"{"name": ""}"#).body["error"]?[
                    "field"] == "name")

            let id = created.body["apiToken"]!["id"]!.text
            #expect(try await client.call(.delete, "/v1/tokens/\(id)", token: session).status == .noContent)
            #expect(try await client.call(.get, "/v1/users/me", token: secret).status == .unauthorized)
            #expect(try await client.call(.delete, "/v1/tokens/\(id)", token: session).status == .notFound)
        }
    }

    @Test("keys rotate without logging anyone out; the JWKS lists both while old tokens live")
    func keyRotation() async throws {
        let (app, _) = try await usersApp()
        try await app.test(.router) { client in
            let admin = try await client.login(adminEmail, password: adminPassword)["accessToken"]!.text
            let before = try await client.call(.get, "/.well-known/jwks.json").body["keys"]?.arrayValue ?? []
            #expect(before.count == 1)
            #expect(before.first?["kty"] == "OKP")
            let rotated = try await client.call(.post, "/v1/keys/rotate", token: admin)
            #expect(rotated.status == .created)
            let after = try await client.call(.get, "/.well-known/jwks.json").body["keys"]?.arrayValue ?? []
            #expect(after.count == 2)
            #expect(
                try await client.call(.get, "/v1/users/me", token: admin).status == .ok,
                "a token of the old key still works")
            let fresh = try await client.login(adminEmail, password: adminPassword)["accessToken"]!.text
            let header = try JSONValue.parse(
                String(decoding: Base64URL.decode(fresh.split(separator: ".")[0])!, as: UTF8.self))
            #expect(header["kid"] == rotated.body["kid"])
            #expect(try await client.call(.get, "/v1/users/me", token: fresh).status == .ok)
        }
    }

    @Test("account changes reach mlex.users through the outbox")
    func events() async throws {
        let (app, state) = try await usersApp()
        try await app.test(.router) { client in
            try await client.register("ada@lab.example")
            let bus = try SQLiteLogBus(path: state.appendingPathComponent("bus.sqlite").path)
            let subscription = try await bus.subscribe(group: "test", topic: "mlex.users")
            var types: [String] = []
            for _ in 0..<50 where !types.contains("mlex.users.user.created") || types.count < 2 {
                types += try await subscription.next(max: 10, wait: .milliseconds(200)).map(\.event.type)
            }
            #expect(types.filter { $0 == "mlex.users.user.created" }.count == 2, "the first admin and ada: \(types)")
        }
    }

    @Test("every route of /openapi.json answers 401 without a token, except the open list of docs/design.md §4")
    func everyRouteNeedsAToken() async throws {
        let (app, _) = try await usersApp()
        // Register, login (of people and of services), refresh and the public keys.
        let open = standardOpenOperations.union([
            "POST /v1/users", "POST /v1/sessions", "POST /v1/sessions/refresh", "POST /v1/sessions/service",
            "GET /.well-known/jwks.json",
        ])
        #expect(try await expectEveryOperationNeedsAToken(app, open: open) >= 25)
    }
}
