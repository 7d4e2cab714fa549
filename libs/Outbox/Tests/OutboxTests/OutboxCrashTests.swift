import Bus
import Foundation
import Outbox
import OutboxTestSupport
import Platform
import PlatformTesting
import Store
import Testing

/// `outbox-crash-child` as a real process whose stdout goes to a file the test watches.
struct Child {
    let process = Process()
    let output: URL

    init(_ arguments: [String], in directory: URL) throws {
        let binary = repositoryRoot().appendingPathComponent(".build/debug/outbox-crash-child")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw StoreError(.unavailable, "build first: swift build --build-tests")
        }
        output = directory.appendingPathComponent("child-\(ID.make()).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
    }

    var lines: [Substring] {
        ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    /// Waits (generously: a hang guard, not a timing assertion) until `condition` holds. A child
    /// that dies first fails the test: a kill after it would prove nothing.
    func wait(until condition: () async throws -> Bool) async throws {
        for _ in 0..<6000 {
            if try await condition() { return }
            guard process.isRunning else {
                if try await condition() { return }
                throw StoreError(
                    .unavailable,
                    "the child exited (status \(process.terminationStatus)) before it reached the point to kill it at; it wrote \(lines.count) lines"
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the child never reached the point to kill it at")
    }

    func kill() async throws {
        Foundation.kill(process.processIdentifier, SIGKILL)
        try await exited()
    }

    /// Polls instead of `waitUntilExit`, which blocks a thread of the cooperative pool until
    /// Foundation's run loop sees the exit: on 2 cores beside other suites, that took minutes.
    func exited() async throws {
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    }
}

@Suite("Outbox crash safety (a real child process killed with SIGKILL)", .serialized)
struct OutboxCrashTests {
    /// On SQLite, and on MongoDB through the journal a standalone server gets (whose next start
    /// rolls a committed batch forward, here in `prepare`). Not through transactions: nx-27017
    /// leaves the writes of a client killed mid-transaction in place (docs/mongodb.md), which
    /// MongoDB does not.
    @Test(
        "killed mid-batch: every item has its event and no event lacks its item", .timeLimit(.minutes(2)),
        arguments: ["sqlite", "journal+mongodb"])
    func killedWhileWriting(backend: String) async throws {
        let directory = try temporaryDirectory()
        let storeLocation =
            backend == "sqlite"
            ? directory.appendingPathComponent("store.sqlite").path : "journal+" + (try WireServers.mongoDatabaseURL())
        let child = try Child(["write", storeLocation], in: directory)
        try await child.wait { child.lines.count >= (backend == "sqlite" ? 20 : 5) }
        try await child.kill()
        #expect(child.process.terminationReason == .uncaughtSignal)

        let store = try CrashScenario.openStore(storeLocation)
        try await CrashScenario.prepare(store)
        let items = try await store.find("items", Query())
        let events = try await store.find(Outbox.collection, Query())
        #expect(items.count % CrashScenario.itemsPerBatch == 0, "no batch is half-written")
        #expect(
            Set(items.compactMap { $0["id"]?.stringValue })
                == Set(events.compactMap { $0["event"]?["subject"]?.stringValue }))
        let acknowledged = child.lines.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
        for batch in acknowledged {
            #expect(
                try await store.count("items", filter: ["batch": .int(Int64(batch))]) == CrashScenario.itemsPerBatch,
                "batch \(batch) was acknowledged")
        }
    }

    @Test(
        "killed mid-relay, then mid-consume: every event arrives, and is applied exactly once", .timeLimit(.minutes(3)))
    func killedWhileRelayingAndConsuming() async throws {
        let directory = try temporaryDirectory()
        let storePath = directory.appendingPathComponent("store.sqlite").path
        let busPath = directory.appendingPathComponent("bus.sqlite").path
        let store = try SQLiteDocumentStore(path: storePath)
        try await CrashScenario.prepare(store)
        for batch in 0..<40 { try await store.batch(CrashScenario.writes(batch: batch)) }
        let written = try await store.find(Outbox.collection, Query(sort: [.ascending("id")])).compactMap {
            $0["id"]?.stringValue
        }
        #expect(written.count == 2000)

        // Relay: killed part-way, then a fresh relay finishes the job.
        let relayChild = try Child(["relay", storePath, busPath], in: directory)
        try await relayChild.wait { relayChild.lines.count >= 10 }
        try await relayChild.kill()
        #expect(try await store.count(Outbox.collection, filter: [:]) > 0, "killed before it drained")
        let restarted = try Child(["relay", storePath, busPath], in: directory)
        try await restarted.exited()
        #expect(restarted.lines.last == "drained")
        #expect(try await store.count(Outbox.collection, filter: [:]) == 0)
        let bus = try SQLiteLogBus(path: busPath)
        let onBus = try await published(bus, CrashScenario.topic).map(\.id)
        #expect(Set(onBus) == Set(written), "nothing lost")
        #expect(onBus.count - Set(onBus).count <= 20, "at most the one batch in flight is published twice")
        var firstSeen: [String] = []
        var seen = Set<String>()
        for id in onBus where seen.insert(id).inserted { firstSeen.append(id) }
        #expect(firstSeen == written, "published in the order written")

        // Consumer: killed part-way (some events applied, the bus commit maybe not), restarted.
        let consumer = try Child(["consume", storePath, busPath], in: directory)
        try await consumer.wait { try await store.count("effects", filter: [:]) >= 300 }
        try await consumer.kill()
        let second = try Child(["consume", storePath, busPath], in: directory)
        try await second.wait { try await store.count("effects", filter: [:]) == 2000 }
        // Let it see the duplicates published by the killed relay too, then stop it.
        try await Task.sleep(for: .milliseconds(500))
        try await second.kill()
        #expect(try await store.count("effects", filter: [:]) == 2000)
        #expect(try await store.get("events", from: "totals")?["count"] == 2000, "no event counted twice")
    }
}
