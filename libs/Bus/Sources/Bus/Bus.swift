import Foundation

/// Publishes and consumes events (docs/design.md §2). Backends: the embedded SQLite log, Kafka.
///
/// ```swift
/// try await bus.publish([event], to: "mlex.data")          // durable when it returns
/// let subscription = try await bus.subscribe(group: "mlhub", topic: "mlex.data")
/// for delivery in try await subscription.next(max: 100, wait: .seconds(1)) { … }
/// try await subscription.commit(through: deliveries.last!)
/// ```
/// The platform's topics (docs/design.md §2), one per owning domain; key = the entity id.
public enum Topics {
    public static let users = "mlex.users"
    public static let data = "mlex.data"
    public static let ingest = "mlex.ingest"
    public static let models = "mlex.models"
    public static let compute = "mlex.compute"
    public static let tags = "mlex.tags"
    /// Every service's audit entries (libs/Auth's `AuditTrail`), kept queryable by users.
    public static let audit = "mlex.audit"
    public static let all = [users, data, ingest, models, compute, tags, audit]
}

public protocol Bus: Sendable {
    /// Appends `events` to `topic` in order; returns once they are durable. Each event's
    /// `subject` is its key.
    func publish(_ events: [CloudEvent], to topic: String) async throws

    /// A consumer in `group`: it starts after the group's last commit, so whatever was
    /// delivered but not committed (a crash between the two) is delivered again. Every group
    /// sees every event.
    func subscribe(group: String, topic: String) async throws -> any BusSubscription

    /// Answers when the bus can be used (for `/ready`).
    func checkReachable() async throws

    /// How long the bus keeps events: consumers keep their processed-event records as long.
    var retention: EventRetention { get }
}

extension Bus {
    public var retention: EventRetention { .standard }
}

public protocol BusSubscription: Sendable {
    /// Up to `max` events after the last one handed out, waiting up to `wait` for the first.
    /// An empty array means nothing arrived in time.
    func next(max: Int, wait: Duration) async throws -> [Delivery]

    /// Records that the group processed everything up to and including `delivery`.
    func commit(through delivery: Delivery) async throws
}

/// One event as a consumer receives it, with its place in the topic.
public struct Delivery: Sendable, Hashable {
    public let topic: String
    /// Position in the topic, from 1, gap-free and increasing.
    public let offset: Int64
    public let key: String
    public let event: CloudEvent

    package init(topic: String, offset: Int64, key: String, event: CloudEvent) {
        self.topic = topic
        self.offset = offset
        self.key = key
        self.event = event
    }
}

public struct BusError: Error, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidName = "invalid_name"
        case eventTooLarge = "event_too_large"
        case invalidEvent = "invalid_event"
        case unavailable = "bus_unavailable"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Topic and group names: `mlex.data`, `mlhub-indexer` — letters, digits, `.`, `_`, `-`.
    package static func checkName(_ name: String, field: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte == 46
                || byte == 95 || byte == 45
        }
        guard (1...200).contains(name.utf8.count), allowed else {
            throw BusError(.invalidName, "\(field) must be 1–200 of [A-Za-z0-9._-], not \"\(name.prefix(80))\"")
        }
    }
}
