import Bus
import Logging
import Platform
import ServiceLifecycle
import Store

/// Publishes the outbox to the bus in id order, then deletes what it published. A crash
/// between the two publishes those events again on restart: duplicates on the bus, which
/// consumers drop by event id (`EventConsumer`), never a lost event.
///
/// `Outbox.write` wakes it, so an event leaves within milliseconds of its batch's commit. While
/// nothing is written it looks at the outbox less and less often, up to every `pollInterval`:
/// that fallback finds what no wake-up announced (a batch that took long to commit, another
/// process sharing the store), and costs an idle service one query per interval.
public struct OutboxRelay: Service {
    let store: any DocumentStore
    let bus: any Bus
    let logger: Logger
    let batchSize: Int
    let pollInterval: Duration
    /// How soon it looks again after a wake-up or a publish: the batch that woke it is usually
    /// committed a millisecond or two after `Outbox.write` ran.
    static let firstLook = Duration.milliseconds(1)

    public init(
        store: any DocumentStore, bus: any Bus, logger: Logger, batchSize: Int = 500,
        pollInterval: Duration = .seconds(1)
    ) {
        self.store = store
        self.bus = bus
        self.logger = logger
        self.batchSize = batchSize
        self.pollInterval = pollInterval
    }

    public func run() async throws {
        var failures = 0
        var backoff = PollBackoff(first: Self.firstLook, longest: pollInterval)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // Read before looking: a write after this point ends the wait below at once.
                let seen = Outbox.writes.generation(of: Outbox.collection)
                let moved = try await relayOnce()
                failures = 0
                if moved > 0 {
                    backoff.reset()
                    continue
                }
                let interval = backoff.next()
                let woken = await cancelWhenGracefulShutdown {
                    await Outbox.writes.wait(for: Outbox.collection, after: seen, atMost: interval)
                }
                if woken { backoff.reset() }
            } catch {
                // The bus or the store is down: the events wait in the outbox; back off.
                failures += 1
                logger.warning(
                    "outbox relay cannot publish yet", metadata: ["error": "\(error)", "attempt": "\(failures)"])
                await Retry.pause(Retry.backoff(after: failures))
            }
        }
        // Hand over what was written before the stop, if the bus is there to take it.
        _ = try? await relayOnce()
    }

    /// Publishes up to `batchSize` outbox events; returns how many left the outbox.
    @discardableResult
    public func relayOnce() async throws -> Int {
        let pending = try await store.find(Outbox.collection, Query(sort: [.ascending("id")], limit: batchSize))
        guard !pending.isEmpty else { return 0 }
        // Consecutive events for one topic go in one publish; order across topics is kept too.
        var runs: [(topic: String, events: [CloudEvent], ids: [JSONValue])] = []
        for document in pending {
            guard let topic = document["topic"]?.stringValue,
                let event = try? CloudEvent(json: document["event"] ?? .null)
            else {
                try await setAside(document)
                continue
            }
            if runs.last?.topic == topic {
                runs[runs.count - 1].events.append(event)
                runs[runs.count - 1].ids.append(.string(event.id))
            } else {
                runs.append((topic, [event], [.string(event.id)]))
            }
        }
        for run in runs {
            try await bus.publish(run.events, to: run.topic)
            try await store.delete(Outbox.collection, filter: ["id": ["$in": .array(run.ids)]])
        }
        return pending.count
    }

    /// An outbox document no bus can carry would stop the relay for good: it is moved to
    /// `dead_letters` (in one batch, so it is never in both or neither) and reported.
    private func setAside(_ document: JSONValue) async throws {
        let id = document["id"] ?? .null
        logger.error("outbox document is not a publishable event; moved to dead_letters", metadata: ["id": "\(id)"])
        try await store.batch([
            .insert(
                [
                    "id": .string("outbox:" + (id.stringValue ?? ID.make())), "source": "outbox", "document": document,
                    "failedAt": Outbox.milliseconds(),
                ], into: Outbox.deadLetterCollection),
            .delete(Outbox.collection, filter: ["id": id]),
        ])
    }
}
