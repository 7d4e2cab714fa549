import Bus
import Foundation
import Outbox
import Platform
import PlatformTesting
import Store
import Testing

/// A clock the test moves: retention reads time from it, so nothing here waits for days.
final class ManualClock: @unchecked Sendable {
    // @unchecked: `time` is only touched under `lock`.
    private let lock = NSLock()
    private var time = Date()

    var now: Date { lock.withLock { time } }

    func advance(days: Double) {
        lock.withLock { time = time.addingTimeInterval(days * 86400) }
    }

    /// Seven days, pruned every 20 ms (the services' rounds are minutes apart).
    var retention: EventRetention {
        EventRetention(age: .seconds(7 * 86400), interval: .milliseconds(20)) { [self] in now }
    }
}

/// Waits until `condition` holds, up to a minute: a hang guard, never a timing assertion.
func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return false
}

@Suite("Event retention: processed records and the log, pruned by the processes that own them")
struct RetentionTests {
    /// A store with the platform collections and a log bus on `clock`, in a fresh directory.
    func backends(_ clock: ManualClock) async throws -> (SQLiteDocumentStore, SQLiteLogBus) {
        let directory = try temporaryDirectory()
        let store = try SQLiteDocumentStore(path: directory.appendingPathComponent("store.sqlite").path)
        try await CollectionCatalog.load(domain: "platform", from: repositoryRoot().appendingPathComponent("db"))
            .apply(to: store)
        try await store.prepare(CollectionSpec("items"))
        let bus = try SQLiteLogBus(
            path: directory.appendingPathComponent("bus.sqlite").path, retention: clock.retention)
        return (store, bus)
    }

    func consumer(_ group: String, _ store: some DocumentStore, _ bus: some Bus) -> EventConsumer {
        EventConsumer(group: group, topic: "mlex.test", bus: bus, store: store, logger: quietLogger()) { delivery in
            [.insert(["id": .string("\(group):\(delivery.event.subject)")], into: "items")]
        }
    }

    @Test("a consumer forgets its records past the bus's retention and keeps the recent ones and other groups'")
    func processedRecordsPastRetention() async throws {
        let clock = ManualClock()
        let (store, bus) = try await backends(clock)
        let first = consumer("first", store, bus)
        let second = consumer("second", store, bus)
        try await bus.publish((0..<3).map { event("old-\($0)") }, to: "mlex.test")
        let old = try await bus.subscribe(group: "first", topic: "mlex.test").next(max: 10, wait: .seconds(5))
        for delivery in old { try await first.process(delivery) }
        clock.advance(days: 6)
        for delivery in old { try await second.process(delivery) }
        clock.advance(days: 2)
        try await bus.publish([event("new")], to: "mlex.test")
        let all = try await bus.subscribe(group: "x", topic: "mlex.test").next(max: 10, wait: .seconds(5))
        for delivery in all where delivery.event.subject == "new" {
            try await first.process(delivery)
        }

        await first.pruneExpiredRecords()
        #expect(try await store.count(Outbox.processedCollection, filter: ["group": "first"]) == 1, "the new one")
        #expect(
            try await store.count(Outbox.processedCollection, filter: ["group": "second"]) == 3,
            "another group's records, 2 days old")
    }

    @Test("a running consumer prunes its records by itself, on its own timer", .timeLimit(.minutes(2)))
    func consumerPrunesWhileRunning() async throws {
        let clock = ManualClock()
        let (store, bus) = try await backends(clock)
        let running = Task { try await consumer("g", store, bus).run() }
        defer { running.cancel() }
        try await bus.publish((0..<3).map { event("old-\($0)") }, to: "mlex.test")
        #expect(try await eventually { try await store.count(Outbox.processedCollection, filter: [:]) == 3 })

        clock.advance(days: 8)
        try await bus.publish([event("new")], to: "mlex.test")
        #expect(try await eventually { try await store.count("items", filter: [:]) == 4 })
        #expect(try await eventually { try await store.count(Outbox.processedCollection, filter: [:]) == 1 })
        #expect(try await store.get("g:new", from: "items") != nil)
    }

    @Test("EventLogRetention prunes the log by itself and leaves what a group has not read", .timeLimit(.minutes(2)))
    func logPrunesWhileRunning() async throws {
        let clock = ManualClock()
        let (_, bus) = try await backends(clock)
        try await bus.publish((0..<4).map { event("e\($0)") }, to: "mlex.test")
        let reader = try await bus.subscribe(group: "reader", topic: "mlex.test")
        let read = try await reader.next(max: 10, wait: .seconds(5))
        try await reader.commit(through: read[1])
        let running = Task { try await EventLogRetention(bus: bus, logger: quietLogger()).run() }
        defer { running.cancel() }

        try await Task.sleep(for: .milliseconds(100))  // a few rounds: nothing is old yet
        #expect(try await bus.eventCount() == 4)
        clock.advance(days: 8)
        #expect(try await eventually { try await bus.eventCount() == 2 }, "the two the group read")
        try await reader.commit(through: read[3])
        #expect(try await eventually { try await bus.eventCount() == 0 })
    }
}
