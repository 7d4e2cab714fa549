import Bus
import Foundation
import Platform
import ServiceLifecycle
import Store

/// The transactional outbox (docs/design.md §2): a service writes its change and the events that
/// announce it in one `DocumentStore.batch`, so either both exist or neither does; `OutboxRelay`
/// then moves the events to the bus. Collections are declared in db/platform/collections.json.
///
/// ```swift
/// try await store.batch([
///     .insert(run, into: "runs"),
/// Outbox.write(CloudEvent(source: "/mlex/data", type: "mlex.data.run.created", subject: runID, data: run), to:
/// "mlex.data"),
/// ])
/// ```
public enum Outbox {
    public static let collection = "outbox"
    public static let processedCollection = "processed_events"
    public static let deadLetterCollection = "dead_letters"

    /// The outbox document for `event`: its id is the event's (a UUIDv7 made in this process,
    /// so id order is the order events were made and the relay keeps it).
    ///
    /// It also wakes this process's `OutboxRelay`: the batch that carries the write is about to
    /// commit, and the relay looks again a few times, a millisecond or so apart, until it does.
    public static func write(_ event: CloudEvent, to topic: String) -> WriteOperation {
        writes.signal(collection)
        return .insert(["id": .string(event.id), "topic": .string(topic), "event": event.json], into: collection)
    }

    /// Outbox writes made in this process (stores are per process), for the relay.
    static let writes = TopicWakeups()

    static func milliseconds(_ date: Date = Date()) -> JSONValue {
        .int(Int64(date.timeIntervalSince1970 * 1000))
    }
}
