import Foundation
import Platform
import PlatformTesting
import Testing

@Suite("ingest → hub: replay")
struct ReplayTests {
    @Test(
        "replaying every topic from offset 0, processed marks forgotten, leaves ingested versions, deploys and tags as they were",
        .timeLimit(.minutes(3)))
    func replayChangesNothing() async throws {
        let cluster = try FlowCluster.shared()
        // A hub of its own, so stopping and replaying it leaves the shared one alone.
        let state = try temporaryDirectory()
        let hub = try cluster.platform.startService(.mlhub, state: state)
        stopAtExit(hub.pid)
        let owner = try await cluster.newOwner()
        #expect(
            try await cluster.ingest(
                try ModelPackage.denoiser("replayed-\(ID.make().suffix(6))").tar(), project: owner.project,
                token: owner.token
            ).status == 201)
        let found = try await cluster.eventually("\(hub.url)/v1/projects/\(owner.project)/models", token: owner.token) {
            $0["items"]?.arrayValue?.count == 1
        }
        let modelID = try #require(found["items"]?.arrayValue?.first?["id"]?.stringValue)
        #expect(
            try await httpCall(
                "\(cluster.tagURL)/v1/entities/model/\(modelID)/tags", "POST", ["tags": ["replay"]], token: owner.token
            ).status == 200)
        #expect(
            try await httpCall(
                "\(hub.url)/v1/models/\(modelID)/versions/1/deploy", "POST", ["parameters": ["mode": "exact"]],
                token: owner.token
            ).status == 201)
        let before = try await cluster.eventually("\(hub.url)/v1/models/\(modelID)/versions", token: owner.token) {
            page in
            page["items"]?.arrayValue?.first?["deployCount"] == 1
                && page["items"]?.arrayValue?.first?["tags"] == ["replay"]
        }

        Replay.stop(hub.pid)
        let bus = cluster.platform.users.stateDirectory.appendingPathComponent("bus.sqlite")
        try Replay.forget(groupsPrefix: "mlhub.", bus: bus, store: state.appendingPathComponent("mlhub/store.sqlite"))
        let again = try cluster.platform.startService(.mlhub, state: state)
        stopAtExit(again.pid)
        try await Replay.waitUntilCaughtUp(
            bus: bus,
            groups: [
                "mlex.data": "mlhub.data", "mlex.compute": "mlhub.compute", "mlex.tags": "mlhub.tags",
                "mlex.ingest": "mlhub.ingest",
            ])
        let after = try await httpCall("\(again.url)/v1/models/\(modelID)/versions", "GET", token: owner.token).body
        #expect(after == before, "before \(before.jsonText)\nafter \(after.jsonText)")
    }
}
