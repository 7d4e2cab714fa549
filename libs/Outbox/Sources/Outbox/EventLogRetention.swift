import Bus
import Logging
import ServiceLifecycle

/// Prunes the embedded event log every `retention.interval` (`SQLiteLogBus.prune`: what every
/// group has read and is older than `retention.age`), for as long as the process runs. Every
/// local process runs one on the log they share: a prune finds little left after another's,
/// and a process that stops leaves the others to it. On Kafka it only waits for shutdown: the
/// broker applies the topics' `retention.ms`.
public struct EventLogRetention: Service {
    let bus: any Bus
    let logger: Logger

    public init(bus: any Bus, logger: Logger) {
        self.bus = bus
        self.logger = logger
    }

    public func run() async throws {
        guard let log = bus as? SQLiteLogBus else {
            // Returning would end the service group; the broker needs nothing from us.
            try? await gracefulShutdown()
            return
        }
        do {
            try await cancelWhenGracefulShutdown {
                var lastWarning: ContinuousClock.Instant?
                while true {
                    // Every process prunes the shared log: each names the groups holding it back
                    // once an hour, not every round.
                    let warn = lastWarning.map { ContinuousClock.now - $0 >= Self.warningInterval } ?? true
                    if await pruneOnce(log, warnOfLaggards: warn) { lastWarning = ContinuousClock.now }
                    try await Task.sleep(for: log.retention.interval)
                }
            }
        } catch is CancellationError {
            return
        }
    }

    static let warningInterval = Duration.seconds(3600)

    /// One round; a failure is logged and the next round tries again. Returns whether it warned
    /// of a group holding events past retention.
    func pruneOnce(_ log: SQLiteLogBus, warnOfLaggards: Bool) async -> Bool {
        let cutoff = log.retention.cutoff
        do {
            let removed = try await log.prune(appendedBefore: cutoff)
            if removed > 0 { logger.debug("event log pruned", metadata: ["events": "\(removed)"]) }
            guard warnOfLaggards else { return false }
            let laggards = try await log.laggards(appendedBefore: cutoff)
            for laggard in laggards {
                logger.warning(
                    "a consumer group keeps events past retention in the event log by not reading them",
                    metadata: [
                        "group": "\(laggard.group)", "topic": "\(laggard.topic)", "events": "\(laggard.events)",
                    ])
            }
            return !laggards.isEmpty
        } catch {
            logger.warning("pruning the event log failed; the next round retries", metadata: ["error": "\(error)"])
            return false
        }
    }
}
