import Foundation
import Platform

/// How long the platform keeps events, and how often what keeps a copy of them drops what is
/// past that age. One setting serves every place an event lives:
/// - the embedded SQLite log drops events older than `age` that every consumer group with a
///   commit on their topic has read (`SQLiteLogBus.prune`, run every `interval` by
///   `EventLogRetention` in libs/Outbox);
/// - Kafka topics are created with `retention.ms` = `age` (the broker drops what is older);
/// - every `EventConsumer` forgets its `processed_events` records older than `age`, every
///   `interval`: once the bus no longer holds an event, no redelivery can need its record.
///
/// `now` is the clock every one of those decisions reads (append times, processed times,
/// cutoffs), so tests move time instead of sleeping.
///
/// ```swift
/// let retention = try EventRetention(settings)                  // mlex.events.retentionDays …
/// let bus = try SQLiteLogBus(path: path, retention: retention)
/// ```
public struct EventRetention: Sendable {
    /// Events (and processed records) older than this may go.
    public var age: Duration
    /// How often the owner of a copy prunes it.
    public var interval: Duration
    public var now: @Sendable () -> Date

    public init(
        age: Duration = .seconds(7 * 86400), interval: Duration = .seconds(600),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.age = age
        self.interval = interval
        self.now = now
    }

    /// Seven days, pruned every ten minutes, on the system clock.
    public static let standard = EventRetention()

    /// What was appended or processed before this is past retention.
    public var cutoff: Date {
        now().addingTimeInterval(-(Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18))
    }

    public static let days = Setting(
        "mlex.events.retentionDays", default: "7",
        "How long events are kept, in days (1–3650): the SQLite log drops older events once every consumer group has read them, Kafka topics are created with this `retention.ms`, and consumers forget their processed-event records after it."
    )
    public static let pruneMinutes = Setting(
        "mlex.events.pruneMinutes", default: "10",
        "How often each process prunes the SQLite log and its consumers' processed-event records, in minutes (1–1440)."
    )
    public static let settings = [days, pruneMinutes]

    /// The retention `mlex.events.*` configures, on the system clock.
    public init(_ settings: ServiceSettings) throws {
        self.init(
            age: .seconds(try settings.config.int(Self.days, in: 1...3650) * 86400),
            interval: .seconds(try settings.config.int(Self.pruneMinutes, in: 1...1440) * 60))
    }
}
