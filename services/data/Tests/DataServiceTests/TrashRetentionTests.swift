import Bus
import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

/// A clock the test moves: the data app's sweeper reads time from it, so nothing waits for days.
final class MovableClock: @unchecked Sendable {
    // @unchecked: `time` is only touched under `lock`.
    private let lock = NSLock()
    private var time = Date()

    var now: Date { lock.withLock { time } }

    /// Sets the clock `days` after the real time now.
    func set(daysFromNow days: Double) {
        lock.withLock { time = Date().addingTimeInterval(days * 86400) }
    }
}

/// The data app of `dataApp()`, with its expiry clock given.
func dataApp(clock: MovableClock) async throws -> some ApplicationProtocol {
    let users = try UsersServer.shared()
    let settings = try await ServiceSettings.forTesting(
        .data, stateDirectory: try temporaryDirectory(), extraSettings: DataApp.extraSettings,
        environment: users.environment().merging([
            "MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": "",
        ]) { $1 }
    )
    return try await DataApp.buildApplication(settings: settings, logger: quietLogger()) { clock.now }
}

@Suite("data: the trash and unfinished uploads empty themselves")
struct TrashRetentionTests {
    static func admin() async throws -> String {
        try await UsersServer.shared().signIn(UsersServer.adminEmail, password: UsersServer.adminPassword)
    }

    @Test("what stayed in the trash past the default 30 days is purged as a manual purge does; the rest stays")
    func defaultRetention() async throws {
        let owner = try await newUser()
        let admin = try await Self.admin()
        let clock = MovableClock()
        try await dataApp(clock: clock).test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let trashed = try await client.newRun(owner.token, experiment: experiment)
            let active = try await client.newRun(owner.token, experiment: experiment)
            let bytes = FileTests.bytes(50_000, seed: 11)
            #expect(try await client.upload(owner.token, "/v1/runs/\(trashed)/files/w.bin", bytes).status == .created)
            #expect(try await client.upload(owner.token, "/v1/runs/\(active)/files/w.bin", bytes).status == .created)
            let dataset =
                try await client.call(
                    .post, "/v1/projects/\(project)/datasets", token: owner.token, json: #"{"name": "images"}"#
                ).body["id"]?.text ?? ""
            #expect(try await client.call(.delete, "/v1/runs/\(trashed)", token: owner.token).status == .ok)
            #expect(try await client.call(.delete, "/v1/datasets/\(dataset)", token: owner.token).status == .ok)

            clock.set(daysFromNow: 29)
            let early = try await client.call(.post, "/v1/admin/sweep", token: admin).body
            #expect(early["trashPurged"] == 0, "\(early)")
            #expect(
                try await client.call(.get, "/v1/runs/\(trashed)", token: owner.token).body["lifecycle"] == "trashed")

            clock.set(daysFromNow: 31)
            let swept = try await client.call(.post, "/v1/admin/sweep", token: admin).body
            #expect(swept["trashPurged"] == 2, "the run and the dataset: \(swept)")
            #expect(swept["freedBytes"] == 0, "the active run holds the same bytes, so the blob stays")
            #expect(try await client.call(.get, "/v1/runs/\(trashed)", token: owner.token).status == .notFound)
            #expect(try await client.call(.get, "/v1/datasets/\(dataset)", token: owner.token).status == .notFound)
            #expect(try await client.download(owner.token, "/v1/runs/\(active)/files/w.bin").bytes == bytes)
            #expect(try await client.call(.get, "/v1/experiments/\(experiment)", token: owner.token).status == .ok)

            // The same event as `DELETE /v1/runs/{id}?purge=true` announces.
            let bus = try SQLiteLogBus(
                path: try UsersServer.shared().stateDirectory.appendingPathComponent("bus.sqlite").path)
            let subscription = try await bus.subscribe(group: "test-\(ID.make())", topic: Topics.data)
            var deleted: [CloudEvent] = []
            for _ in 0..<100 where deleted.count < 2 {
                deleted += try await subscription.next(max: 500, wait: .milliseconds(100)).map(\.event).filter {
                    $0.data["projectId"]?.stringValue == project && $0.type.hasSuffix(".deleted")
                }
            }
            #expect(Set(deleted.map(\.type)) == ["mlex.data.run.deleted", "mlex.data.dataset.deleted"])
            #expect(Set(deleted.map(\.subject)) == [trashed, dataset])
        }
    }

    @Test("a purge from the trash frees the blobs no one else holds")
    func blobsReclaimed() async throws {
        let owner = try await newUser()
        let admin = try await Self.admin()
        let clock = MovableClock()
        try await dataApp(clock: clock).test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            #expect(
                try await client.upload(owner.token, "/v1/runs/\(run)/files/a.bin", FileTests.bytes(40_000, seed: 3))
                    .status == .created)
            #expect(try await client.call(.delete, "/v1/projects/\(project)", token: owner.token).status == .ok)
            clock.set(daysFromNow: 31)
            let swept = try await client.call(.post, "/v1/admin/sweep", token: admin).body
            #expect(swept["trashPurged"] == 1, "the project, with its experiment and run: \(swept)")
            #expect(swept["freedBytes"] == 40_000)
            #expect(try await client.call(.get, "/v1/projects/\(project)", token: admin).status == .notFound)
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: admin).status == .notFound)
        }
    }

    @Test("a project's own trashRetentionDays wins over the default, shorter or longer")
    func projectRetentionWins() async throws {
        let owner = try await newUser()
        let admin = try await Self.admin()
        let clock = MovableClock()
        try await dataApp(clock: clock).test(.router) { client in
            var runs: [String: String] = [:]
            for (name, days) in [("short", "3"), ("long", "60"), ("default", "null")] {
                let (project, experiment) = try await client.projectAndExperiment(owner.token, project: name)
                let changed = try await client.call(
                    .patch, "/v1/projects/\(project)", token: owner.token, json: #"{"trashRetentionDays": \#(days)}"#)
                #expect(changed.status == .ok, "\(changed.body)")
                #expect(changed.body["trashRetentionDays"] == (days == "null" ? nil : .int(Int64(days)!)))
                let run = try await client.newRun(owner.token, experiment: experiment)
                #expect(try await client.call(.delete, "/v1/runs/\(run)", token: owner.token).status == .ok)
                runs[name] = run
            }
            func left() async throws -> Set<String> {
                var found: Set<String> = []
                for (name, run) in runs {
                    if try await client.call(.get, "/v1/runs/\(run)", token: owner.token).status == .ok {
                        found.insert(name)
                    }
                }
                return found
            }

            clock.set(daysFromNow: 4)
            #expect(try await client.call(.post, "/v1/admin/sweep", token: admin).body["trashPurged"] == 1)
            #expect(try await left() == ["long", "default"])
            clock.set(daysFromNow: 31)
            #expect(try await client.call(.post, "/v1/admin/sweep", token: admin).body["trashPurged"] == 1)
            #expect(try await left() == ["long"])
            clock.set(daysFromNow: 61)
            #expect(try await client.call(.post, "/v1/admin/sweep", token: admin).body["trashPurged"] == 1)
            #expect(try await left() == [])
        }
    }

    @Test("trashRetentionDays is set by owners only, from 1 to 3650 days, and null brings back the default")
    func retentionValidation() async throws {
        let (owner, editor) = (try await newUser(), try await newUser())
        try await dataApp(clock: MovableClock()).test(.router) { client in
            let (project, _) = try await client.projectAndExperiment(owner.token)
            _ = try await client.call(
                .put, "/v1/projects/\(project)/members/user/\(editor.id)", token: owner.token,
                json: #"{"role": "editor"}"#)
            for bad in ["0", "3651", "-1", "2.5", #""30""#] {
                let refused = try await client.call(
                    .patch, "/v1/projects/\(project)", token: owner.token, json: #"{"trashRetentionDays": \#(bad)}"#)
                #expect(refused.status == .badRequest, "\(bad): \(refused.body)")
            }
            let byEditor = try await client.call(
                .patch, "/v1/projects/\(project)", token: editor.token, json: #"{"trashRetentionDays": 10}"#)
            #expect(byEditor.status == .forbidden)
            #expect(
                try await client.call(
                    .patch, "/v1/projects/\(project)", token: editor.token, json: #"{"description": "still editable"}"#
                ).status == .ok)
            let set = try await client.call(
                .patch, "/v1/projects/\(project)", token: owner.token, json: #"{"trashRetentionDays": 3650}"#)
            #expect(set.body["trashRetentionDays"] == 3650)
            #expect(
                try await client.call(.get, "/v1/projects/\(project)", token: editor.token).body["trashRetentionDays"]
                    == 3650)
            let cleared = try await client.call(
                .patch, "/v1/projects/\(project)", token: owner.token, json: #"{"trashRetentionDays": null}"#)
            #expect(cleared.status == .ok)
            #expect(cleared.body["trashRetentionDays"] == nil)
            #expect(cleared.body["description"] == "still editable")
        }
    }

    @Test("an unfinished upload is reclaimed after its 7 days, not before")
    func expiredUploads() async throws {
        let owner = try await newUser()
        let admin = try await Self.admin()
        let clock = MovableClock()
        try await dataApp(clock: clock).test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let upload =
                try await client.call(
                    .post, "/v1/uploads", token: owner.token,
                    json: #"{"runId": "\#(run)", "path": "big.bin", "partSize": 1048576}"#
                ).body["id"]?.text ?? ""
            #expect(
                try await client.upload(owner.token, "/v1/uploads/\(upload)/parts/1", FileTests.bytes(25_000, seed: 5))
                    .status == .ok)

            clock.set(daysFromNow: 6)
            #expect(try await client.call(.post, "/v1/admin/sweep", token: admin).body["uploads"] == 0)
            #expect(try await client.call(.get, "/v1/uploads/\(upload)", token: owner.token).status == .ok)
            clock.set(daysFromNow: 8)
            let swept = try await client.call(.post, "/v1/admin/sweep", token: admin).body
            #expect(swept["uploads"] == 1, "\(swept)")
            #expect(swept["freedBytes"] == 25_000)
            #expect(try await client.call(.get, "/v1/uploads/\(upload)", token: owner.token).status == .notFound)
        }
    }
}
