import Bus
import Foundation
import Platform
import PlatformTesting
import Testing

@Suite("tag service", .serialized)
struct TagTests {
    @Test("tag a run: add, replace a key's value, list, list by tag, counts, remove", .timeLimit(.minutes(2)))
    func tagLifecycle() async throws {
        let cluster = try TagCluster.shared()
        let owner = try await cluster.newOwner()
        let first = try await cluster.newRun(owner.experiment, token: owner.token)
        let second = try await cluster.newRun(owner.experiment, token: owner.token)

        #expect(
            try await cluster.add(["baseline", "stage:dev", "team:vision"], to: "run", first, token: owner.token) == [
                "baseline", "stage:dev", "team:vision",
            ])
        #expect(
            try await cluster.add(["stage:prod"], to: "run", first, token: owner.token) == [
                "baseline", "stage:prod", "team:vision",
            ])
        try await cluster.add(["stage:prod", "baseline"], to: "run", second, token: owner.token)
        try await cluster.add(["baseline"], to: "experiment", owner.experiment, token: owner.token)
        try await cluster.add(["curated"], to: "project", owner.project, token: owner.token)

        let byKey = try await cluster.tag("GET", "/v1/projects/\(owner.project)/tagged?tag=stage", token: owner.token)
        #expect(
            Set((byKey.body["items"]?.arrayValue ?? []).compactMap { $0["entityId"]?.stringValue }) == [first, second])
        let runsOnly = try await cluster.tag(
            "GET", "/v1/projects/\(owner.project)/tagged?tag=baseline&kind=run&limit=1", token: owner.token)
        #expect(runsOnly.body["items"]?.arrayValue?.count == 1)
        let next = try #require(runsOnly.body["nextAfter"]?.stringValue)
        let rest = try await cluster.tag(
            "GET", "/v1/projects/\(owner.project)/tagged?tag=baseline&kind=run&limit=1&after=\(next)",
            token: owner.token)
        #expect(rest.body["items"]?.arrayValue?.count == 1)
        #expect(
            rest.body["items"]?.arrayValue?.first?["entityId"] != runsOnly.body["items"]?.arrayValue?.first?["entityId"]
        )
        #expect(
            try await cluster.tag("GET", "/v1/projects/\(owner.project)/tagged?tag=stage:dev", token: owner.token).body[
                "items"]?.arrayValue?.isEmpty == true)

        #expect(
            try await cluster.counts(owner.project, token: owner.token) == [
                "baseline": 3, "stage:prod": 2, "team:vision": 1, "curated": 1,
            ])
        #expect(
            try await cluster.counts(owner.project, kind: "run", token: owner.token) == [
                "baseline": 2, "stage:prod": 2, "team:vision": 1,
            ])

        #expect(
            try await cluster.tag("DELETE", "/v1/entities/run/\(first)/tags?key=stage&value=dev", token: owner.token)
                .status == 404)
        #expect(
            try await cluster.tag("DELETE", "/v1/entities/run/\(first)/tags?key=stage", token: owner.token).status
                == 204)
        #expect(try await cluster.tags(of: "run", first, token: owner.token) == ["baseline", "team:vision"])
        #expect(
            try await cluster.counts(owner.project, kind: "run", token: owner.token) == [
                "baseline": 2, "stage:prod": 1, "team:vision": 1,
            ])

        let changed = try await cluster.events(on: Topics.tags).filter {
            $0.subject == first && $0.type == "mlex.tags.tag.changed"
        }
        #expect(changed.count == 3)
        #expect(changed[1].data["added"] == ["stage:prod"] && changed[1].data["removed"] == ["stage:dev"])
        #expect(
            changed[2].data["tags"] == ["baseline", "team:vision"]
                && changed[2].data["projectId"] == .string(owner.project))
    }

    @Test("rights follow the entity's project; bad input names its field", .timeLimit(.minutes(2)))
    func rightsAndValidation() async throws {
        let cluster = try TagCluster.shared()
        let owner = try await cluster.newOwner()
        let run = try await cluster.newRun(owner.experiment, token: owner.token)
        try await cluster.add(["baseline"], to: "run", run, token: owner.token)

        let stranger = try await cluster.platform.users.signUp("stranger-\(ID.make().suffix(10))@lab.example")
        #expect(try await cluster.tag("GET", "/v1/entities/run/\(run)/tags", token: stranger.token).status == 404)
        #expect(
            try await cluster.tag("POST", "/v1/entities/run/\(run)/tags", ["tags": ["mine"]], token: stranger.token)
                .status == 404)
        #expect(try await cluster.tag("GET", "/v1/projects/\(owner.project)/tags", token: stranger.token).status == 404)
        #expect(try await cluster.tag("GET", "/v1/entities/run/\(run)/tags", token: nil).status == 401)

        let viewer = try await cluster.platform.users.signUp("viewer-\(ID.make().suffix(10))@lab.example")
        let granted = try await cluster.data(
            "PUT", "/v1/projects/\(owner.project)/members/user/\(viewer.id)", ["role": "viewer"], token: owner.token)
        #expect(granted.status == 201, "\(granted.body)")
        try await withRetries(100) {
            guard try await cluster.tag("GET", "/v1/entities/run/\(run)/tags", token: viewer.token).status == 200 else {
                throw POSIXError(.EAGAIN)
            }
        }
        #expect(
            try await cluster.tag("POST", "/v1/entities/run/\(run)/tags", ["tags": ["mine"]], token: viewer.token)
                .status == 403)

        for (body, field) in [
            (["tags": ["bad key!"]] as JSONValue, "tags.0"), (["tags": ["ok", "a: spaced"]], "tags.1"),
            (["tags": ["x:1", "x:2"]], "tags.1"),
            (["tags": []], "tags"), (["tags": .array((0..<51).map { .string("k\($0)") })], "tags"),
        ] {
            let answer = try await cluster.tag("POST", "/v1/entities/run/\(run)/tags", body, token: owner.token)
            #expect(
                answer.status == 400 && answer.body["error"]?["field"] == .string(field),
                "\(body.jsonText) → \(answer.body)")
        }
        #expect(
            try await cluster.tag("GET", "/v1/entities/widget/\(run)/tags", token: owner.token).body["error"]?["field"]
                == "kind")
        #expect(try await cluster.tag("GET", "/v1/entities/run/\(ID.make())/tags", token: owner.token).status == 404)
        #expect(
            try await cluster.tag("GET", "/v1/projects/\(owner.project)/tagged", token: owner.token).body["error"]?[
                "field"] == "tag")
        #expect(try await cluster.tags(of: "run", run, token: owner.token) == ["baseline"])
    }

    @Test(
        "a trashed entity keeps its tags, a purged one loses them; compute's jobs are taggable", .timeLimit(.minutes(2))
    )
    func deletesAndJobs() async throws {
        let cluster = try TagCluster.shared()
        let owner = try await cluster.newOwner()
        let run = try await cluster.newRun(owner.experiment, token: owner.token)
        try await cluster.add(["baseline", "stage:prod"], to: "run", run, token: owner.token)

        #expect(try await cluster.data("DELETE", "/v1/runs/\(run)", token: owner.token).status == 200)
        // A sentinel after the trash event on the same topic: once its purge has dropped its
        // tags, tag has read past the trash event, however slow it is.
        let sentinel = try await cluster.newRun(owner.experiment, token: owner.token)
        try await cluster.add(["sentinel"], to: "run", sentinel, token: owner.token)
        #expect(try await cluster.data("DELETE", "/v1/runs/\(sentinel)", token: owner.token).status == 200)
        #expect(try await cluster.data("DELETE", "/v1/runs/\(sentinel)?purge=true", token: owner.token).status == 200)
        try await withRetries(100) {
            guard try await cluster.tag("GET", "/v1/entities/run/\(sentinel)/tags", token: owner.token).status == 404
            else { throw POSIXError(.EAGAIN) }
        }
        #expect(try await cluster.tags(of: "run", run, token: owner.token) == ["baseline", "stage:prod"])

        #expect(try await cluster.data("DELETE", "/v1/runs/\(run)?purge=true", token: owner.token).status == 200)
        try await withRetries(100) {
            guard try await cluster.tag("GET", "/v1/entities/run/\(run)/tags", token: owner.token).status == 404 else {
                throw POSIXError(.EAGAIN)
            }
        }
        #expect(try await cluster.counts(owner.project, token: owner.token).isEmpty)
        let dropped = try await cluster.events(on: Topics.tags).filter { $0.subject == run }.last
        #expect(dropped?.data["removed"]?.arrayValue?.count == 2 && dropped?.data["tags"] == [])

        let job = try await httpCall(
            cluster.platform.computeURL + "/v1/jobs", "POST",
            [
                "projectId": .string(owner.project), "command": ["/bin/true"],
                "resources": ["cpus": 0.1, "memoryMB": 64],
            ], token: owner.token)
        let jobID = try #require(job.body["id"]?.stringValue, "\(job.body)")
        #expect(try await cluster.add(["sweep:lr"], to: "job", jobID, token: owner.token) == ["sweep:lr"])
    }

    @Test("a purged project's entities lose their tags", .timeLimit(.minutes(2)))
    func purgedProject() async throws {
        let cluster = try TagCluster.shared()
        let owner = try await cluster.newOwner()
        let run = try await cluster.newRun(owner.experiment, token: owner.token)
        try await cluster.add(["baseline"], to: "run", run, token: owner.token)
        #expect(try await cluster.data("DELETE", "/v1/projects/\(owner.project)", token: owner.token).status == 200)
        #expect(
            try await cluster.data("DELETE", "/v1/projects/\(owner.project)?purge=true", token: owner.token).status
                == 200)
        // An administrator passes every project check: a 404 then says the tags are gone, not
        // that the caller may not see them.
        let admin = try await cluster.platform.users.signIn(UsersServer.adminEmail, password: UsersServer.adminPassword)
        try await withRetries(100) {
            guard try await cluster.tag("GET", "/v1/entities/run/\(run)/tags", token: admin).status == 404 else {
                throw POSIXError(.EAGAIN)
            }
        }
    }

    @Test("replaying every topic from offset 0, processed marks forgotten, changes nothing", .timeLimit(.minutes(2)))
    func replayChangesNothing() async throws {
        // A platform of its own: beside the suite's shared tag process, which consumes the same
        // groups on the same bus and commits its own position, the wait for the replay to catch
        // up could end before this process had replayed anything.
        let platform = try LocalPlatform.start()
        let cluster = try TagCluster.start(on: platform)
        stopAtExit(cluster.pid)
        let owner = try await cluster.newOwner()
        let kept = try await cluster.newRun(owner.experiment, token: owner.token)
        let purged = try await cluster.newRun(owner.experiment, token: owner.token)
        try await cluster.add(["baseline", "stage:prod"], to: "run", kept, token: owner.token)
        try await cluster.add(["baseline"], to: "run", purged, token: owner.token)
        try await cluster.data("DELETE", "/v1/runs/\(purged)", token: owner.token)
        try await cluster.data("DELETE", "/v1/runs/\(purged)?purge=true", token: owner.token)
        // Both ends seen before the replay: the purge's event is relayed from data's outbox after
        // the trash's, and a replay that caught up with a bus not yet holding it (CI, once) kept
        // the purged run.
        try await withRetries(100) {
            guard try await cluster.counts(owner.project, token: owner.token)["baseline"] == 1,
                try await cluster.tag("GET", "/v1/entities/run/\(purged)/tags", token: owner.token).status == 404
            else {
                throw POSIXError(.EAGAIN)
            }
        }
        let before = (
            try await cluster.tags(of: "run", kept, token: owner.token),
            try await cluster.counts(owner.project, token: owner.token)
        )

        Replay.stop(cluster.pid)
        let bus = platform.users.stateDirectory.appendingPathComponent("bus.sqlite")
        try Replay.forget(
            groupsPrefix: "tag.", bus: bus, store: cluster.state.appendingPathComponent("tag/store.sqlite"))
        let again = try TagCluster.start(on: platform, state: cluster.state)
        stopAtExit(again.pid)
        try await Replay.waitUntilCaughtUp(
            bus: bus, groups: ["mlex.data": "tag.entities.mlex.data", "mlex.compute": "tag.entities.mlex.compute"])
        #expect(try await again.tags(of: "run", kept, token: owner.token) == before.0)
        #expect(try await again.counts(owner.project, token: owner.token) == before.1)
        let purgedTags = try await again.tag("GET", "/v1/entities/run/\(purged)/tags", token: owner.token)
        #expect(purgedTags.status == 404, "\(purgedTags.body)")
    }
}
