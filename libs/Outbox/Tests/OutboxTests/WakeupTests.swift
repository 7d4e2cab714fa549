import Bus
import Foundation
import OutboxTestSupport
import Platform
import PlatformTesting
import Store
import Testing

@testable import Outbox

/// Events reach a waiting consumer by wake-ups, not by polling: each poller here has its
/// fallback poll a minute away, longer than the test waits (hang guards, not timings), so an
/// event that arrives was announced.
@Suite("Outbox and bus wake-ups")
struct WakeupTests {
    @Test("an event relayed by another process wakes the consumer here", .timeLimit(.minutes(2)))
    func anotherProcessWakesTheConsumer() async throws {
        let directory = try temporaryDirectory()
        let storePath = directory.appendingPathComponent("store.sqlite").path
        let busPath = directory.appendingPathComponent("bus.sqlite").path
        let store = try SQLiteDocumentStore(path: storePath)
        try await CrashScenario.prepare(store)
        try await store.batch(CrashScenario.writes(batch: 0))

        let bus = try SQLiteLogBus(path: busPath, pollInterval: .seconds(60), maxPollInterval: .seconds(60))
        let subscription = try await bus.subscribe(group: "waiting", topic: CrashScenario.topic)
        #expect(try await subscription.next(max: 100, wait: .zero).isEmpty)
        async let first = subscription.next(max: 100, wait: .seconds(50))
        // The child publishes the outbox's 50 events, 20 to a publish, and exits.
        let child = try Child(["relay", storePath, busPath], in: directory)
        var received = try await first
        while received.count < CrashScenario.itemsPerBatch {
            let more = try await subscription.next(max: 100, wait: .seconds(50))
            guard !more.isEmpty else { break }
            received += more
        }
        try await child.exited()
        #expect(received.count == CrashScenario.itemsPerBatch)
        #expect(received.map(\.offset) == Array(1...Int64(CrashScenario.itemsPerBatch)))
    }

    @Test("an outbox write wakes the relay, whose own poll is a minute away", .timeLimit(.minutes(1)))
    func outboxWriteWakesTheRelay() async throws {
        let seen = Outbox.writes.generation(of: Outbox.collection)
        _ = Outbox.write(event("unused"), to: "mlex.test")
        #expect(Outbox.writes.generation(of: Outbox.collection) != seen, "Outbox.write signals the relay")

        let (store, bus) = try await platformBackends()
        let relay = OutboxRelay(store: store, bus: bus, logger: quietLogger(), pollInterval: .seconds(60))
        let running = Task { try await relay.run() }
        let subscription = try await bus.subscribe(group: "watcher", topic: "mlex.test")
        let written = event("woken")
        try await store.batch([.insert(["id": "woken"], into: "items"), Outbox.write(written, to: "mlex.test")])
        let received = try await subscription.next(max: 10, wait: .seconds(30))
        #expect(received.map(\.event.id) == [written.id])
        running.cancel()
        try await running.value
    }
}
