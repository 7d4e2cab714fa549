import Auth
import Bus
import Foundation
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing
import UsersService

@Suite("users: teams")
struct TeamTests {
    /// The same flow on the embedded store and on MongoDB (a real nx-27017): the service
    /// runs unchanged on either. Its batches go through the journal there, as data's tests do:
    /// the audit and membership consumers commit beside the requests, and nx-27017's
    /// transactions of several sessions interleave (docs/mongodb.md).
    @Test(
        "a creator maintains its team; maintainers add and remove; members see; strangers get 404",
        arguments: ["sqlite", "mongodb"])
    func lifecycle(store: String) async throws {
        let (app, _) = try await usersApp(
            store: store == "mongodb" ? try WireServers.mongoDatabaseURL() + "&mlexBatch=journal" : "")
        try await app.test(.router) { client in
            try await client.register("ada@lab.example")
            let bob = try await client.register("bob@lab.example")["id"]!.text
            try await client.register("eve@lab.example")
            let ada = try await client.login("ada@lab.example")["accessToken"]!.text
            let eve = try await client.login("eve@lab.example")["accessToken"]!.text

            let created = try await client.call(
                .post, "/v1/teams", token: ada, json: #"{"name": "Beamline 7", "description": "SAXS"}"#)
            #expect(created.status == .created)
            let team = created.body["id"]!.text
            let taken = try await client.call(.post, "/v1/teams", token: eve, json: #"{"name": "beamline 7"}"#)
            #expect(
                taken.status == .conflict && taken.body["error"]?["field"] == "name",
                "names are unique regardless of case")
            #expect(
                try await client.call(.post, "/v1/teams", token: eve, json: #"{"name": "  "}"#).body["error"]?["field"]
                    == "name")

            #expect(
                try await client.call(
                    .put, "/v1/teams/\(team)/members/\(bob)", token: ada, json: #"{"role": "member"}"#
                ).status == .created)
            #expect(
                try await client.call(
                    .put, "/v1/teams/\(team)/members/\(bob)", token: ada, json: #"{"role": "member"}"#
                ).status == .ok, "idempotent")
            #expect(
                try await client.call(.put, "/v1/teams/\(team)/members/\(bob)", token: ada, json: #"{"role": "owner"}"#)
                    .body["error"]?["field"] == "role")
            #expect(
                try await client.call(
                    .put, "/v1/teams/\(team)/members/\(ID.make())", token: ada, json: #"{"role": "member"}"#
                ).status == .notFound)

            let bobSession = try await client.login("bob@lab.example")
            let bobToken = bobSession["accessToken"]!.text
            #expect(try claims(of: bobToken)["teams"] == [.string(team)], "access tokens carry the caller's teams")
            let seen = try await client.call(.get, "/v1/teams/\(team)", token: bobToken)
            #expect(seen.status == .ok && seen.body["members"]?.arrayValue?.count == 2)
            #expect(try await client.call(.get, "/v1/teams", token: bobToken).body["items"]?.arrayValue?.count == 1)

            #expect(
                try await client.call(.get, "/v1/teams/\(team)", token: eve).status == .notFound,
                "not disclosed to strangers")
            #expect(
                try await client.call(
                    .put, "/v1/teams/\(team)/members/\(bob)", token: eve, json: #"{"role": "maintainer"}"#
                ).status == .notFound)
            #expect(
                try await client.call(.delete, "/v1/teams/\(team)", token: bobToken).status == .forbidden,
                "members cannot delete")

            let leave = try await client.call(
                .delete, "/v1/teams/\(team)/members/\(try claims(of: ada)["sub"]!.text)", token: ada)
            #expect(leave.status == .conflict && leave.body["error"]?["code"] == "last_maintainer")

            #expect(try await client.call(.delete, "/v1/teams/\(team)/members/\(bob)", token: ada).status == .noContent)
            let stale = try await client.call(.get, "/v1/users/me", token: bobToken)
            #expect(stale.status == .unauthorized, "a token naming a team its holder left is refused at once")
            let refreshed = try await client.call(
                .post, "/v1/sessions/refresh", json: #"{"refreshToken": "\#(bobSession["refreshToken"]!.text)"}"#)
            let fresh = refreshed.body["accessToken"]!.text
            #expect(try claims(of: fresh)["teams"] == [])
            #expect(try await client.call(.get, "/v1/teams", token: fresh).body["items"]?.arrayValue?.isEmpty == true)
            #expect(try await client.call(.get, "/v1/teams/\(team)", token: fresh).status == .notFound)

            let admin = try await client.login(adminEmail, password: adminPassword)["accessToken"]!.text
            #expect(
                try await client.call(.get, "/v1/teams", token: admin).body["items"]?.arrayValue?.count == 1,
                "administrators see every team")
            #expect(try await client.call(.delete, "/v1/teams/\(team)", token: admin).status == .noContent)
            #expect(try await client.call(.get, "/v1/teams/\(team)", token: admin).status == .notFound)
            #expect(
                try await client.call(.get, "/v1/teams", token: ada).status == .unauthorized,
                "its members refresh to lose the team")
        }
    }

    @Test("team changes reach mlex.users: created, member added and removed, deleted")
    func events() async throws {
        let (app, state) = try await usersApp()
        try await app.test(.router) { client in
            try await client.register("ada@lab.example")
            let bob = try await client.register("bob@lab.example")["id"]!.text
            let ada = try await client.login("ada@lab.example")["accessToken"]!.text
            let team = try await client.call(.post, "/v1/teams", token: ada, json: #"{"name": "Optics"}"#).body["id"]!
                .text
            _ = try await client.call(
                .put, "/v1/teams/\(team)/members/\(bob)", token: ada, json: #"{"role": "member"}"#)
            _ = try await client.call(.delete, "/v1/teams/\(team)/members/\(bob)", token: ada)
            let admin = try await client.login(adminEmail, password: adminPassword)["accessToken"]!.text
            _ = try await client.call(.delete, "/v1/teams/\(team)", token: admin)

            let bus = try SQLiteLogBus(path: state.appendingPathComponent("bus.sqlite").path)
            let subscription = try await bus.subscribe(group: "test", topic: "mlex.users")
            var teamEvents: [CloudEvent] = []
            for _ in 0..<50 where teamEvents.count < 6 {
                teamEvents += try await subscription.next(max: 50, wait: .milliseconds(200)).map(\.event).filter {
                    $0.type.hasPrefix("mlex.users.team.")
                }
            }
            #expect(
                teamEvents.map(\.type) == [
                    "mlex.users.team.created", "mlex.users.team.member.added", "mlex.users.team.member.added",
                    "mlex.users.team.member.removed", "mlex.users.team.member.removed", "mlex.users.team.deleted",
                ], "deleting a team removes its last member (ada) first")
            #expect(teamEvents.allSatisfy { $0.subject == team })
            #expect(teamEvents[2].data["userId"]?.stringValue == bob && teamEvents[2].data["role"] == "member")
        }
    }
}

/// The payload of a JWT, unverified: what the tests read a token's claims from.
func claims(of token: String) throws -> JSONValue {
    try JSONValue.parse(String(decoding: try #require(Base64URL.decode(token.split(separator: ".")[1])), as: UTF8.self))
}
