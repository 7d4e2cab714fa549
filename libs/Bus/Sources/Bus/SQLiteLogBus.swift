import Foundation
import Platform
import SQLite

/// The embedded bus: one SQLite log file in the state directory shared by every local service
/// process (WAL lets them read while one appends). Offsets are per topic; commits per group
/// and topic.
///
/// A publish wakes the topic's consumers at once: those in this process directly, those in
/// other processes through `LogDoorbell` (a datagram to each process's socket beside the log).
/// Consumers also poll, as a fallback for a lost wake-up: `pollInterval` after an event, then
/// doubling while nothing comes, up to `maxPollInterval`; so an idle consumer costs about one
/// cheap query a second, and a lost wake-up delays an event by at most that, never loses it.
///
/// Retention (`prune`, SQLiteLogBus+Retention.swift) keeps the file from growing forever: events
/// older than `retention.age` go once every group that commits on their topic has read them.
public final class SQLiteLogBus: Bus {
    let database: SQLiteDatabase
    let maxEventBytes: Int
    let pollInterval: Duration
    let maxPollInterval: Duration
    let wakeups: TopicWakeups
    let doorbell: LogDoorbell
    public let retention: EventRetention

    public init(
        path: String, maxEventBytes: Int = 1 << 20, pollInterval: Duration = .milliseconds(5),
        maxPollInterval: Duration = .seconds(1), retention: EventRetention = .standard
    ) throws {
        let database = try SQLiteDatabase(path: path)
        try database.runBlocking { connection in
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS events (
                    topic TEXT NOT NULL, offset INTEGER NOT NULL, key TEXT NOT NULL,
                    payload BLOB NOT NULL, appended_at INTEGER NOT NULL,
                    PRIMARY KEY (topic, offset)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS commits (
                    consumer_group TEXT NOT NULL, topic TEXT NOT NULL, offset INTEGER NOT NULL,
                    PRIMARY KEY (consumer_group, topic)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS topics (
                    topic TEXT PRIMARY KEY, last_offset INTEGER NOT NULL) WITHOUT ROWID;
                DROP INDEX IF EXISTS events_by_age;
                CREATE INDEX IF NOT EXISTS events_by_topic_age ON events (topic, appended_at);
                """)
            // Pruning frees pages inside the file for new events; this bounds the WAL beside it,
            // which otherwise keeps the largest size a burst ever gave it.
            try connection.execute("PRAGMA journal_size_limit = \(Self.walSizeLimit)")
        }
        self.database = database
        self.maxEventBytes = maxEventBytes
        self.pollInterval = pollInterval
        self.maxPollInterval = maxPollInterval
        self.retention = retention
        let wakeups = TopicWakeups()
        self.wakeups = wakeups
        // Datagrams from other processes' publishes wake the topics they name, or every topic
        // when some may have been lost.
        self.doorbell = LogDoorbell(logPath: path) { topics in
            guard let topics else { return wakeups.signalAll() }
            for topic in topics { wakeups.signal(topic) }
        }
    }

    public func publish(_ events: [CloudEvent], to topic: String) async throws {
        try BusError.checkName(topic, field: "topic")
        guard !events.isEmpty else { return }
        let rows = try events.map { event -> (String, [UInt8]) in
            let payload = Array(event.json.jsonText.utf8)
            guard payload.count <= maxEventBytes else {
                throw BusError(
                    .eventTooLarge, "event \(event.id) is \(payload.count) bytes; the limit is \(maxEventBytes)")
            }
            return (event.subject, payload)
        }
        let now = Int64(retention.now().timeIntervalSince1970 * 1000)
        try await database.transaction { connection in
            // The high-water mark lives apart from the events so retention never reuses offsets.
            let last =
                try connection.query("SELECT last_offset FROM topics WHERE topic = ?", [.text(topic)]).first?[0].integer
                ?? 0
            try connection.prepare(
                "INSERT INTO topics (topic, last_offset) VALUES (?, ?) ON CONFLICT (topic) DO UPDATE SET last_offset = excluded.last_offset"
            )
            .run([.text(topic), .integer(last + Int64(rows.count))])
            let insert = try connection.prepare(
                "INSERT INTO events (topic, offset, key, payload, appended_at) VALUES (?, ?, ?, ?, ?)")
            for (index, row) in rows.enumerated() {
                try insert.run([
                    .text(topic), .integer(last + Int64(index) + 1), .text(row.0), .blob(row.1), .integer(now),
                ])
            }
        }
        wakeups.signal(topic)
        doorbell.ring(topic)
    }

    public func subscribe(group: String, topic: String) async throws -> any BusSubscription {
        try BusError.checkName(group, field: "group")
        try BusError.checkName(topic, field: "topic")
        let committed = try await database.run { connection in
            try connection.query(
                "SELECT offset FROM commits WHERE consumer_group = ? AND topic = ?", [.text(group), .text(topic)]
            ).first?[0].integer ?? 0
        }
        return SQLiteLogSubscription(bus: self, group: group, topic: topic, position: committed)
    }

    public func checkReachable() async throws {
        try await database.run { try $0.query("SELECT 1 FROM commits LIMIT 1") }
    }

    func fetch(topic: String, after position: Int64, max: Int) async throws -> [Delivery] {
        let rows = try await database.run { connection in
            try connection.query(
                "SELECT offset, key, payload FROM events WHERE topic = ? AND offset > ? ORDER BY offset LIMIT ?",
                [.text(topic), .integer(position), .integer(Int64(max))]
            )
        }
        return try rows.map { row in
            guard case .integer(let offset) = row[0], case .text(let key) = row[1], case .blob(let payload) = row[2]
            else {
                throw BusError(.unavailable, "the event log holds a malformed row in \(topic)")
            }
            return Delivery(
                topic: topic, offset: offset, key: key,
                event: try CloudEvent(json: JSONValue.parse(String(decoding: payload, as: UTF8.self))))
        }
    }

    func commit(group: String, topic: String, offset: Int64) async throws {
        try await database.run { connection in
            try connection.prepare(
                """
                INSERT INTO commits (consumer_group, topic, offset) VALUES (?, ?, ?)
                ON CONFLICT (consumer_group, topic) DO UPDATE SET offset = max(offset, excluded.offset)
                """
            ).run([.text(group), .text(topic), .integer(offset)])
        }
    }
}

/// A group's cursor on one topic. Its position is only ever moved by the one task consuming it.
final class SQLiteLogSubscription: BusSubscription, @unchecked Sendable {
    let bus: SQLiteLogBus
    let group: String
    let topic: String
    private let lock = NSLock()
    private var position: Int64
    /// Kept across calls, so a consumer that calls `next` in a loop backs off while idle.
    private var backoff: PollBackoff

    init(bus: SQLiteLogBus, group: String, topic: String, position: Int64) {
        self.bus = bus
        self.group = group
        self.topic = topic
        self.position = position
        self.backoff = PollBackoff(first: bus.pollInterval, longest: bus.maxPollInterval)
    }

    /// Returns early, empty, when the task is cancelled.
    func next(max: Int, wait: Duration) async throws -> [Delivery] {
        let deadline = ContinuousClock.now + wait
        while true {
            // Read before looking: a publish after this point ends the wait below at once.
            let seen = bus.wakeups.generation(of: topic)
            let from = lock.withLock { position }
            let deliveries = try await bus.fetch(topic: topic, after: from, max: Swift.max(1, max))
            if let last = deliveries.last {
                lock.withLock {
                    position = last.offset
                    backoff.reset()
                }
                return deliveries
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero || Task.isCancelled { return [] }
            let interval = lock.withLock { backoff.next() }
            let woken = await bus.wakeups.wait(for: topic, after: seen, atMost: Swift.min(remaining, interval))
            // Out of time with no news: the caller's next call looks first thing, no need to here.
            if Task.isCancelled || (!woken && ContinuousClock.now >= deadline) { return [] }
        }
    }

    func commit(through delivery: Delivery) async throws {
        try await bus.commit(group: group, topic: delivery.topic, offset: delivery.offset)
    }
}
