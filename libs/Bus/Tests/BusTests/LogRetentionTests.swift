import Bus
import Foundation
import Platform
import PlatformTesting
import Testing

/// A clock the test moves: retention reads time from it, so nothing here sleeps.
final class ManualClock: @unchecked Sendable {
    // @unchecked: `time` is only touched under `lock`.
    private let lock = NSLock()
    private var time = Date()

    var now: Date { lock.withLock { time } }

    func advance(days: Double) {
        lock.withLock { time = time.addingTimeInterval(days * 86400) }
    }

    func retention(age: Duration = .seconds(7 * 86400)) -> EventRetention {
        EventRetention(age: age, interval: .milliseconds(20)) { [self] in now }
    }
}

@Suite("SQLite log retention")
struct LogRetentionTests {
    @Test("what every group read and is past retention goes; what a group has not read, or is recent, stays")
    func keepsUnreadAndRecent() async throws {
        let clock = ManualClock()
        let bus = try SQLiteLogBus(
            path: try temporaryDirectory().appendingPathComponent("bus.sqlite").path, retention: clock.retention())
        try await bus.publish((1...5).map { event("a", $0) }, to: "mlex.data")
        let fast = try await bus.subscribe(group: "fast", topic: "mlex.data")
        let slow = try await bus.subscribe(group: "slow", topic: "mlex.data")
        try await fast.commit(through: try #require(try await fast.next(max: 5, wait: .seconds(5)).last))
        let slowRead = try await slow.next(max: 2, wait: .seconds(5))
        try await slow.commit(through: try #require(slowRead.last))
        #expect(slowRead.map(\.offset) == [1, 2])

        clock.advance(days: 8)
        try await bus.publish((6...8).map { event("a", $0) }, to: "mlex.data")
        #expect(try await bus.prune() == 2, "offsets 1–2: read by both groups and 8 days old")
        #expect(try await bus.eventCount() == 6)
        #expect(
            try await bus.laggards(appendedBefore: bus.retention.cutoff)
                == [SQLiteLogBus.Laggard(group: "slow", topic: "mlex.data", events: 3)])
        // The slow group still gets every event it has not read.
        let rest = try await slow.next(max: 10, wait: .seconds(5))
        #expect(rest.map(\.offset) == [3, 4, 5, 6, 7, 8])

        try await slow.commit(through: try #require(rest.last))
        #expect(try await bus.prune() == 3, "offsets 3–5 once the slow group read them; 6–8 are recent")
        #expect(try await bus.laggards(appendedBefore: bus.retention.cutoff).isEmpty)
        clock.advance(days: 8)
        #expect(try await bus.prune() == 0, "offsets 6–8 are old now, but the fast group has read through 5 only")
        try await fast.commit(through: try #require(try await fast.next(max: 10, wait: .seconds(5)).last))
        #expect(try await bus.prune() == 3)
        #expect(try await bus.eventCount() == 0)

        // Offsets go on after the log was emptied, so no group's commit skips a new event.
        try await bus.publish([event("a", 9)], to: "mlex.data")
        #expect(try await slow.next(max: 10, wait: .seconds(5)).map(\.offset) == [9])
    }

    @Test("mlex.events.retentionDays and mlex.events.pruneMinutes configure it; a value out of range stops the start")
    func settings() async throws {
        func retention(_ environment: [String: String]) async throws -> EventRetention {
            try EventRetention(
                try await ServiceSettings.forTesting(
                    .data, stateDirectory: try temporaryDirectory(), extraSettings: EventRetention.settings,
                    environment: environment))
        }
        let defaults = try await retention([:])
        #expect(defaults.age == .seconds(7 * 86400) && defaults.interval == .seconds(600))
        let configured = try await retention(["MLEX_EVENTS_RETENTION_DAYS": "3", "MLEX_EVENTS_PRUNE_MINUTES": "5"])
        #expect(configured.age == .seconds(3 * 86400) && configured.interval == .seconds(300))
        for bad in [["MLEX_EVENTS_RETENTION_DAYS": "0"], ["MLEX_EVENTS_PRUNE_MINUTES": "1441"]] {
            await #expect(throws: ConfigurationError.self) { try await retention(bad) }
        }
    }

    @Test("each topic is judged by its own groups; a topic no group commits on is cut by age alone")
    func topicsApart() async throws {
        let clock = ManualClock()
        let bus = try SQLiteLogBus(
            path: try temporaryDirectory().appendingPathComponent("bus.sqlite").path, retention: clock.retention())
        try await bus.publish((1...3).map { event("u", $0) }, to: "mlex.users")
        try await bus.publish((1...3).map { event("d", $0) }, to: "mlex.data")
        let reader = try await bus.subscribe(group: "reader", topic: "mlex.data")
        // All three handed out, only the first committed: the other two are not read yet.
        let handed = try await reader.next(max: 10, wait: .seconds(5))
        try await reader.commit(through: handed[0])

        #expect(try await bus.prune() == 0, "nothing is past retention yet")
        clock.advance(days: 7.5)
        #expect(try await bus.prune() == 4, "all of mlex.users, and the one event of mlex.data the group committed")
        #expect(try await bus.eventCount() == 2)
    }
}
