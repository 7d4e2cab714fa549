import Bus
import Foundation
import Logging
import Platform
import ServiceLifecycle
import Store

/// Consumes one topic as one group and applies each event exactly once to the store: the
/// handler returns the writes an event causes, and they are committed in one batch with a
/// `processed_events` record (`<group>:<event id>`). A redelivered event — after a crash
/// before the bus commit, or a relay that published twice — finds its record and is skipped.
///
/// Only store writes are covered; a handler with other side effects must make them idempotent
/// itself. An event whose handler keeps failing is retried `maxAttempts` times, then parked in
/// `dead_letters` with its error so the topic keeps moving (what Kafka users know as a DLQ).
///
/// Records live as long as the bus keeps events (`bus.retention`): every `retention.interval`,
/// between batches (when all it was handed is committed), the consumer forgets its group's
/// records older than `retention.age`.
public struct EventConsumer: Service {
    public typealias Handler = @Sendable (Delivery) async throws -> [WriteOperation]

    let group: String
    let topic: String
    let bus: any Bus
    let store: any DocumentStore
    let logger: Logger
    let maxAttempts: Int
    let handler: Handler

    public init(
        group: String, topic: String, bus: any Bus, store: any DocumentStore, logger: Logger, maxAttempts: Int = 5,
        handler: @escaping Handler
    ) {
        self.group = group
        self.topic = topic
        self.bus = bus
        self.store = store
        self.logger = logger
        self.maxAttempts = maxAttempts
        self.handler = handler
    }

    public func run() async throws {
        var failures = 0
        var pruning = ProcessedRecordPruning(interval: bus.retention.interval)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // Subscribing again after a failure resumes from the group's last commit.
                let subscription = try await bus.subscribe(group: group, topic: topic)
                while !Task.isShuttingDownGracefully, !Task.isCancelled {
                    // A long wait costs nothing (the bus wakes it when events come); graceful
                    // shutdown ends it early.
                    let deliveries = try await cancelWhenGracefulShutdown {
                        try await subscription.next(max: 100, wait: .seconds(1))
                    }
                    if let last = deliveries.last {
                        for delivery in deliveries { try await process(delivery) }
                        try await subscription.commit(through: last)
                        failures = 0
                    }
                    // Everything handed out is committed here, so no record pruned now can be
                    // needed by a redelivery of this group (only an event past retention could be).
                    if pruning.isDue() { await pruneExpiredRecords() }
                }
            } catch {
                failures += 1
                logger.warning(
                    "consumer cannot go on yet",
                    metadata: ["group": "\(group)", "topic": "\(topic)", "error": "\(error)"])
                await Retry.pause(Retry.backoff(after: failures))
            }
        }
    }

    /// Applies one delivery unless this group already did; public for tests and tools.
    public func process(_ delivery: Delivery) async throws {
        let recordID = "\(group):\(delivery.event.id)"
        if try await store.get(recordID, from: Outbox.processedCollection) != nil { return }
        let record: WriteOperation = .insert(
            [
                "id": .string(recordID), "group": .string(group), "topic": .string(topic),
                "processedAt": Outbox.milliseconds(bus.retention.now()),
            ],
            into: Outbox.processedCollection
        )
        var attempt = 0
        while true {
            attempt += 1
            do {
                let writes = try await handler(delivery)
                // An event that changes nothing leaves no record: applying it again is as much a
                // no-op as skipping it, so handlers must stay functions of the event and the
                // current state (all here are). Most events are of no interest to most groups,
                // and a record each was a transaction each.
                guard !writes.isEmpty else { return }
                try await store.batch(writes + [record])
                return
            } catch let error as StoreError where error.code == .duplicate {
                // Another consumer of this group applied it meanwhile: nothing more to do.
                if try await store.get(recordID, from: Outbox.processedCollection) != nil { return }
                if attempt >= maxAttempts { return try await park(delivery, record: record, error: error) }
            } catch let error as StoreError where error.code == .unavailable {
                throw error
            } catch {
                if attempt >= maxAttempts { return try await park(delivery, record: record, error: error) }
                logger.warning(
                    "event handler failed; retrying",
                    metadata: ["event": "\(delivery.event.id)", "attempt": "\(attempt)", "error": "\(error)"])
            }
            try await Task.sleep(for: .milliseconds(50 << min(attempt, 6)))
        }
    }

    private func park(_ delivery: Delivery, record: WriteOperation, error: any Error) async throws {
        logger.error(
            "event handler gave up; event moved to dead_letters",
            metadata: ["event": "\(delivery.event.id)", "type": "\(delivery.event.type)", "error": "\(error)"])
        try await store.batch([
            .insert(
                [
                    "id": .string("\(group):\(delivery.event.id)"), "source": "consumer", "group": .string(group),
                    "topic": .string(topic),
                    "offset": .int(delivery.offset), "event": delivery.event.json, "error": .string("\(error)"),
                    "failedAt": Outbox.milliseconds(),
                ], into: Outbox.deadLetterCollection),
            record,
        ])
    }

    /// Forgets this group's records past the bus's retention; a failure is logged and the next
    /// round tries again.
    public func pruneExpiredRecords() async {
        do {
            let removed = try await pruneProcessed(before: bus.retention.cutoff)
            if removed > 0 {
                logger.debug(
                    "processed-event records pruned", metadata: ["group": "\(group)", "records": "\(removed)"])
            }
        } catch {
            logger.warning(
                "pruning processed-event records failed; the next round retries",
                metadata: ["group": "\(group)", "error": "\(error)"])
        }
    }

    /// Forgets processed records older than `cutoff` (once the bus no longer keeps their
    /// events, no redelivery can need them); returns how many were removed.
    @discardableResult
    public func pruneProcessed(before cutoff: Date) async throws -> Int {
        try await store.delete(
            Outbox.processedCollection,
            filter: ["group": .string(group), "processedAt": ["$lt": Outbox.milliseconds(cutoff)]])
    }
}

/// When a consumer next prunes its processed records: at its first chance, then every `interval`.
struct ProcessedRecordPruning {
    let interval: Duration
    private var next = ContinuousClock.now

    init(interval: Duration) {
        self.interval = interval
    }

    mutating func isDue() -> Bool {
        let now = ContinuousClock.now
        guard now >= next else { return false }
        next = now + interval
        return true
    }
}
