import Foundation
import Platform
import PlatformTesting
import Testing

@Suite("mlhub registry", .serialized)
struct RegistryTests {
    @Test(
        "versions are numbered; stage changes and alias moves are audited with actor and time; aliases resolve",
        .timeLimit(.minutes(2)))
    func versionsStagesAliases() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        let model = try await cluster.newModel(
            owner.project, ["name": "resnet-50", "task": "classification", "framework": "pytorch", "authors": ["Ada"]],
            token: owner.token)
        let again = try await cluster.hub(
            "POST", "/v1/projects/\(owner.project)/models", ["name": "ResNet-50"], token: owner.token)
        #expect(again.status == 409 && again.body["error"]?["field"] == "name", "\(again.body)")

        #expect(
            try await cluster.newVersion(model, ["label": "1.0.0", "metrics": ["acc": 0.9]], token: owner.token) == 1)
        #expect(try await cluster.newVersion(model, ["metrics": ["acc": 0.93]], token: owner.token) == 2)
        #expect(try await cluster.newVersion(model, token: owner.token) == 3)
        let first = try await cluster.hub("GET", "/v1/models/\(model)/versions/1", token: owner.token).body
        #expect(
            first["label"] == "1.0.0" && first["stage"] == "none" && first["name"] == "resnet-50"
                && first["task"] == "classification")

        #expect(
            try await cluster.hub(
                "PUT", "/v1/models/\(model)/versions/1/stage", ["stage": "production"], token: owner.token
            ).body["stage"] == "production")
        let promoted = try await cluster.hub(
            "PUT", "/v1/models/\(model)/versions/2/stage", ["stage": "production", "archiveOthers": true],
            token: owner.token)
        #expect(promoted.body["stage"] == "production")
        #expect(
            try await cluster.hub("GET", "/v1/models/\(model)/versions/1", token: owner.token).body["stage"]
                == "archived")

        #expect(
            try await cluster.hub("PUT", "/v1/models/\(model)/aliases/champion", ["version": 1], token: owner.token)
                .status == 200)
        #expect(
            try await cluster.hub("PUT", "/v1/models/\(model)/aliases/champion", ["version": 2], token: owner.token)
                .status == 200)
        #expect(
            try await cluster.hub("GET", "/v1/models/\(model)/versions/champion", token: owner.token).body["number"]
                == 2)
        #expect(
            try await cluster.hub("GET", "/v1/models/\(model)/versions/1", token: owner.token).body["aliases"] == [])
        #expect(
            try await cluster.hub("GET", "/v1/models/\(model)/versions/latest", token: owner.token).body["number"] == 3)
        #expect(
            try await cluster.hub("DELETE", "/v1/models/\(model)/aliases/champion", token: owner.token).status == 204)
        #expect(try await cluster.hub("GET", "/v1/models/\(model)/versions/champion", token: owner.token).status == 404)

        let audit =
            try await cluster.hub("GET", "/v1/models/\(model)/audit", token: owner.token).body["items"]?.arrayValue
            ?? []
        let actions = audit.map {
            "\($0["action"]?.stringValue ?? "")@\($0["version"].map { "\($0.intValue ?? 0)" } ?? "-")"
        }
        #expect(
            actions == [
                "model.created@-", "version.created@1", "version.created@2", "version.created@3",
                "stage.changed@1", "stage.changed@2", "stage.changed@1", "alias.set@1", "alias.moved@2",
                "alias.removed@2",
            ], "\(actions)")
        let archived = try #require(audit.first { $0["action"] == "stage.changed" && $0["to"] == "archived" })
        #expect(
            archived["from"] == "production" && archived["actor"] == .string(owner.id)
                && archived["at"]?.stringValue.flatMap(Timestamp.parse) != nil)
        let moved = try #require(audit.first { $0["action"] == "alias.moved" })
        #expect(moved["from"] == 1 && moved["to"] == 2 && moved["alias"] == "champion")

        for (path, body, field) in [
            ("/v1/models/\(model)/versions/1/stage", ["stage": "gold"] as JSONValue, "stage"),
            ("/v1/models/\(model)/aliases/123", ["version": 1], "alias"),
            ("/v1/models/\(model)/aliases/latest", ["version": 1], "alias"),
            ("/v1/models/\(model)/aliases/best", ["version": 99], "version"),
        ] {
            let answer = try await cluster.hub("PUT", path, body, token: owner.token)
            #expect(
                answer.status == 400 && answer.body["error"]?["field"] == .string(field), "\(path) → \(answer.body)")
        }
        let badMetric = try await cluster.hub(
            "POST", "/v1/models/\(model)/versions", ["metrics": ["acc": "high"]], token: owner.token)
        #expect(badMetric.status == 400 && badMetric.body["error"]?["field"] == "metrics.acc")
        let badName = try await cluster.hub(
            "POST", "/v1/projects/\(owner.project)/models", ["name": "no spaces please"], token: owner.token)
        #expect(badName.status == 400 && badName.body["error"]?["field"] == "name")
    }

    @Test(
        "private models stay in their project; public ones are found and read by everyone, written by members only",
        .timeLimit(.minutes(2)))
    func visibility() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        let hidden = try await cluster.newModel(
            owner.project, ["name": "secret-sauce", "description": "zanzibar private"], token: owner.token)
        let shared = try await cluster.newModel(
            owner.project, ["name": "open-weights", "description": "zanzibar public", "public": true],
            token: owner.token)
        try await cluster.newVersion(hidden, token: owner.token)
        try await cluster.newVersion(shared, token: owner.token)

        let stranger = try await cluster.platform.users.signUp("stranger-\(ID.make().suffix(10))@lab.example")
        #expect(try await cluster.hub("GET", "/v1/models/\(hidden)", token: stranger.token).status == 404)
        #expect(try await cluster.hub("GET", "/v1/models/\(shared)", token: stranger.token).status == 200)
        #expect(
            try await cluster.hub("POST", "/v1/models/\(shared)/versions", [:], token: stranger.token).status == 404)
        #expect(
            names(try await cluster.hub("GET", "/v1/search?q=zanzibar", token: stranger.token).body) == ["open-weights"]
        )
        try await cluster.eventually("/v1/search?q=zanzibar", token: owner.token) {
            Set(names($0)) == ["open-weights", "secret-sauce"]
        }
        #expect(try await cluster.hub("GET", "/v1/search?q=zanzibar", token: nil).status == 401)
        #expect(try await cluster.hub("DELETE", "/v1/models/\(shared)", token: stranger.token).status == 404)
        #expect(try await cluster.hub("DELETE", "/v1/models/\(shared)", token: owner.token).status == 204)
        #expect(try await cluster.hub("GET", "/v1/models/\(shared)", token: owner.token).status == 404)
    }
}
