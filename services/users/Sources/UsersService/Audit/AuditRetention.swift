import Foundation
import Logging
import Platform
import ServiceLifecycle

/// Keeps the audit log to its retention (`mlex.users.auditRetentionDays`): at start and then
/// every `interval`, deletes the entries older than the retention as of `now()`. Both are
/// injected so tests move time instead of waiting for it.
struct AuditRetention: Service {
    let log: AuditLog
    let retention: TimeInterval
    let clock: AuditClock
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let removed = try await sweep()
                if removed > 0 {
                    logger.info("audit entries past their retention deleted", metadata: ["count": "\(removed)"])
                }
            } catch {
                logger.warning("cannot prune the audit log now", metadata: ["error": "\(error)"])
            }
            await Retry.pause(clock.interval)
        }
    }

    /// Deletes what is past the retention now; how many entries.
    func sweep() async throws -> Int {
        try await log.prune(before: clock.now().addingTimeInterval(-retention))
    }
}

/// Time as the audit retention sees it: the system's, checked hourly, unless a test says otherwise.
public struct AuditClock: Sendable {
    public let now: @Sendable () -> Date
    public let interval: Duration

    public init(interval: Duration = .seconds(3600), now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.interval = interval
    }

    public static let system = AuditClock()
}
