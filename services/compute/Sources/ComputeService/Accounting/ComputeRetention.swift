import Foundation
import Logging
import Platform
import ServiceLifecycle
import Store

/// Compute's own retention, hourly: accounting records of jobs that ended longer ago than
/// `mlex.compute.accountingRetentionDays`, and usage samples older than
/// `mlex.compute.usageWindowMinutes` (heartbeats delete those too, but not when no node
/// heartbeats any more). `now` is injected so tests move time instead of sleeping.
struct ComputeRetention: Service {
    static let interval = Duration.seconds(3600)

    let store: any DocumentStore
    let accountingRetention: TimeInterval
    let usageWindow: TimeInterval
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await prune()
            } catch {
                logger.warning("cannot prune accounting and usage samples", metadata: ["error": "\(error)"])
            }
            await Retry.pause(Self.interval)
        }
    }

    /// Deletes what is past its retention at `now()`.
    func prune() async throws {
        let now = now()
        let cutoff = Int64((now.timeIntervalSince1970 - accountingRetention) * 1000)
        try await store.batch([
            .delete(JobAccounting.collection, filter: ["endedAtMs": ["$lt": .int(cutoff)]]),
            UsageHistory.expired(at: now, window: usageWindow),
        ])
    }
}
