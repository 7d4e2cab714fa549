import Bus
import Foundation
import Logging
import Platform
import ServiceLifecycle
import Synchronization

/// Where a process's audit entries wait for the bus: a bounded in-memory queue that requests
/// hand entries to without waiting, drained by `run()` into `mlex.audit`.
///
/// Recording never fails a request nor waits on the bus. While the bus is down the entries
/// stay queued and `run()` retries with backoff; past `capacity` new entries are dropped and
/// counted (`dropped`, and a warning in the log), so a long outage costs bounded memory. On
/// graceful shutdown `run()` publishes what is queued once more before it returns; a crash
/// loses what was queued. Entries are not written through the outbox: the authentication layer
/// sits in front of every service, including those with no store of their own.
public final class AuditTrail: Sendable {
    public static let topic = Topics.audit
    public static let eventType = "mlex.audit.entry.recorded"

    let service: ServiceName
    let bus: any Bus
    let logger: Logger
    let capacity: Int
    let batchSize = 200

    private struct State {
        var queue: [AuditEntry] = []
        var dropped = 0
    }
    private let state = Mutex(State())
    /// Rings when entries arrive; holds at most one ring, so a burst wakes the drain once.
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation

    public init(service: ServiceName, bus: any Bus, logger: Logger, capacity: Int = 10_000) {
        self.service = service
        self.bus = bus
        self.logger = logger
        self.capacity = capacity
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `entry` for publishing; drops it (and counts it) when the queue is full.
    public func record(_ entry: AuditEntry) {
        let dropped = state.withLock { state -> Int? in
            guard state.queue.count < capacity else {
                state.dropped += 1
                return state.dropped
            }
            state.queue.append(entry)
            return nil
        }
        if let dropped, dropped == 1 || dropped % 1000 == 0 {
            logger.warning(
                "audit queue full (the bus is not taking entries); dropping audit entries",
                metadata: ["dropped": "\(dropped)", "capacity": "\(capacity)"])
        }
        ring.yield()
    }

    /// Entries dropped so far because the queue was full.
    public var dropped: Int { state.withLock { $0.dropped } }
    /// Entries waiting for the bus.
    public var pending: Int { state.withLock { $0.queue.count } }

    /// Publishes queued entries as they come until graceful shutdown, then what is left.
    /// Run it once per trail (one `Service` of the process).
    public func run() async {
        for await _ in doorbell.cancelOnGracefulShutdown() {
            await drain(retrying: true)
        }
        await drain(retrying: false)
    }

    /// Publishes until the queue is empty; on failure waits and tries again, unless told not
    /// to (at shutdown), when what could not be published is logged as lost.
    func drain(retrying: Bool) async {
        var failures = 0
        while case let batch = state.withLock({ Array($0.queue.prefix(batchSize)) }), !batch.isEmpty {
            do {
                try await bus.publish(batch.map(\.event), to: Self.topic)
                state.withLock { $0.queue.removeFirst(batch.count) }
                failures = 0
            } catch {
                failures += 1
                guard retrying, !Task.isShuttingDownGracefully, !Task.isCancelled else {
                    logger.error(
                        "audit entries not published at shutdown",
                        metadata: ["lost": "\(pending)", "error": "\(error)"])
                    return
                }
                if failures == 1 || failures % 20 == 0 {
                    logger.warning(
                        "cannot publish audit entries yet; they wait in memory",
                        metadata: ["pending": "\(pending)", "error": "\(error)"])
                }
                await Retry.pause(Retry.backoff(after: failures))
            }
        }
    }
}

extension AuditTrail: Service {}
