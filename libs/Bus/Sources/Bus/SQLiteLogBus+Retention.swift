import Foundation
import SQLite

/// Retention of the embedded log: what the groups have read and is older than the retention
/// goes, so the file stays about the size of `retention.age` worth of events.
extension SQLiteLogBus {
    /// The WAL is truncated back to this after a checkpoint (bytes).
    static let walSizeLimit = 64 << 20
    /// Events removed per statement: publishers wait for the write lock at most that long.
    static let pruneSlice: Int64 = 5000

    /// A group that has not read events older than the cutoff, so they stay.
    public struct Laggard: Sendable, Hashable {
        public let group: String
        public let topic: String
        /// Events past retention that wait for this group.
        public let events: Int

        public init(group: String, topic: String, events: Int) {
            self.group = group
            self.topic = topic
            self.events = events
        }
    }

    /// Drops the events of each topic appended before `cutoff` that every group with a commit on
    /// that topic has read; an event some group has not read stays, however old. A topic no group
    /// commits on (the users topic, whose readers replay it from the start) is cut by age alone,
    /// as Kafka's `retention.ms` would. Events go in offset order, from the oldest: judged by
    /// append time, an event appended a moment out of order goes with its neighbours. Offsets
    /// are never reused (the `topics` table keeps each topic's last). Returns how many went.
    @discardableResult
    public func prune(appendedBefore cutoff: Date) async throws -> Int {
        let millis = Int64(cutoff.timeIntervalSince1970 * 1000)
        // Per topic: its first event, the last one old enough, and the slowest group's commit.
        let ranges = try await database.run { connection in
            try connection.query(
                """
                SELECT t.topic,
                       (SELECT min(offset) FROM events WHERE topic = t.topic),
                       (SELECT max(offset) FROM events WHERE topic = t.topic AND appended_at < ?),
                       (SELECT min(offset) FROM commits WHERE topic = t.topic)
                FROM topics t
                """, [.integer(millis)])
        }
        var removed = 0
        for row in ranges {
            guard let topic = row[0].text, let first = row[1].integer, let old = row[2].integer else { continue }
            let through = row[3].integer.map { Swift.min($0, old) } ?? old
            var from = first
            while from <= through {
                let slice = from...Swift.min(through, from + Self.pruneSlice - 1)
                removed += try await database.run { connection in
                    try connection.prepare("DELETE FROM events WHERE topic = ? AND offset BETWEEN ? AND ?")
                        .run([.text(topic), .integer(slice.lowerBound), .integer(slice.upperBound)])
                }
                let upTo = slice.upperBound
                from = upTo + 1
            }
        }
        return removed
    }

    /// `prune` at the retention's cutoff.
    @discardableResult
    public func prune() async throws -> Int {
        try await prune(appendedBefore: retention.cutoff)
    }

    /// The groups that keep events older than `cutoff` in the log by not having read them: a
    /// stopped consumer, or the group of a service that was removed (delete its row from
    /// `commits` to let the log go on).
    public func laggards(appendedBefore cutoff: Date) async throws -> [Laggard] {
        let millis = Int64(cutoff.timeIntervalSince1970 * 1000)
        let rows = try await database.run { connection in
            try connection.query(
                """
                SELECT c.consumer_group, c.topic, count(*) FROM commits c
                JOIN events e ON e.topic = c.topic AND e.offset > c.offset AND e.appended_at < ?
                GROUP BY c.consumer_group, c.topic ORDER BY c.consumer_group, c.topic
                """, [.integer(millis)])
        }
        return rows.compactMap { row in
            guard let group = row[0].text, let topic = row[1].text, let count = row[2].integer else { return nil }
            return Laggard(group: group, topic: topic, events: Int(count))
        }
    }

    /// How many events the log holds now (for benchmarks and tests).
    public func eventCount() async throws -> Int {
        try await database.run { Int(try $0.query("SELECT count(*) FROM events").first?[0].integer ?? 0) }
    }
}
