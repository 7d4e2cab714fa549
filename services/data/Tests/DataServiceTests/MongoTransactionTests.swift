import Bus
import Foundation
import Platform
import PlatformTesting
import Testing

/// The data service on MongoDB's transaction path — a change and its events written in one
/// multi-document transaction — which the other MongoDB tests leave for the journal because the
/// shared nx-27017 interleaves concurrent sessions' transactions. Here the server is the suite's
/// own and requests go one at a time.
@Suite("data: MongoDB transactions (an nx-27017 of its own)", .serialized)
struct MongoTransactionTests {
    @Test(
        "a run's life commits each change with its event: created, params, tags, metrics, finished, trashed, restored, purged"
    )
    func runLife() async throws {
        let store = try WireServers.privateMongoDatabaseURL()
        #expect(!store.contains("mlexBatch"), "the transaction path, not the journal")
        let owner = try await newUser()
        try await dataApp(store: store).test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            #expect(
                try await client.call(
                    .post, "/v1/runs/\(run)/params", token: owner.token, json: #"{"params": {"lr": 0.01}}"#
                ).status == .ok)
            #expect(
                try await client.call(
                    .patch, "/v1/runs/\(run)/tags", token: owner.token, json: #"{"tags": {"team": "vision"}}"#
                ).status == .ok)
            let points = try await client.call(
                .post, "/v1/runs/\(run)/metrics", token: owner.token,
                json: #"{"points": [{"key": "loss", "value": 0.5, "step": 1}]}"#)
            #expect(points.status == .ok || points.status == .created, "\(points.body)")
            #expect(
                try await client.call(.patch, "/v1/runs/\(run)", token: owner.token, json: #"{"status": "finished"}"#)
                    .status == .ok)
            let read = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(
                read["params"]?["lr"] == 0.01 && read["tags"]?["team"] == "vision" && read["metrics"]?["loss"] == 0.5
                    && read["status"] == "finished")
            #expect(try await client.call(.delete, "/v1/runs/\(run)", token: owner.token).status == .ok)
            #expect(try await client.call(.post, "/v1/runs/\(run)/restore", token: owner.token).status == .ok)
            #expect(try await client.call(.delete, "/v1/runs/\(run)", token: owner.token).status == .ok)
            #expect(try await client.call(.delete, "/v1/runs/\(run)?purge=true", token: owner.token).status == .ok)
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: owner.token).status == .notFound)

            let bus = try SQLiteLogBus(
                path: try UsersServer.shared().stateDirectory.appendingPathComponent("bus.sqlite").path)
            let subscription = try await bus.subscribe(group: "test-\(ID.make())", topic: Topics.data)
            let expected = ["created", "finished", "trashed", "restored", "trashed", "deleted"].map {
                "mlex.data.run.\($0)"
            }
            var types: [String] = []
            for _ in 0..<200 where types.count < expected.count {
                types += try await subscription.next(max: 500, wait: .milliseconds(100)).map(\.event)
                    .filter { $0.data["projectId"]?.stringValue == project && $0.subject == run }.map(\.type)
            }
            #expect(types == expected)
        }
    }
}
