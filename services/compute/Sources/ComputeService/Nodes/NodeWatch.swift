import Foundation
import Logging
import Platform
import ServiceLifecycle
import Store

/// Finds nodes whose agent stopped heartbeating. Their jobs cannot be reached any more: each is
/// queued again while it has retries left (its spec's `retries`), or fails with `node_lost`.
struct NodeWatch: Service {
    let core: ComputeCore
    let logger: Logger

    func run() async throws {
        let interval = Duration.milliseconds(Int64(max(200, min(5000, core.settings.nodeTimeout * 1000 / 4))))
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await sweep()
            } catch {
                logger.warning("cannot check node heartbeats", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    func sweep(now: Date = Date()) async throws {
        let cutoff = Int64((now.timeIntervalSince1970 - core.settings.nodeTimeout) * 1000)
        for node in try await NodeDirectory(core: core).silent(since: cutoff) {
            try await core.transitions.withLock { try await lose(node.id, silentSince: cutoff) }
        }
    }

    /// Marks the node lost, with its event, unless it heartbeated meanwhile (heartbeats take
    /// the same lock, so what is read here holds until the batch).
    private func lose(_ nodeID: String, silentSince cutoff: Int64) async throws {
        guard var node = try await NodeDirectory(core: core).online(nodeID), node.heartbeatAtMs < cutoff else { return }
        let last = node.lastHeartbeat
        node.state = .lost
        try await core.store.batch([
            try node.overwrite(), ComputeEvents.write("node.lost", subject: nodeID, try node.document()),
        ])
        logger.warning("node lost: no heartbeat since \(last)", metadata: ["node": "\(nodeID)"])
        let jobs = try await core.jobs.active(on: nodeID)
        let message = "node \(node.name) (\(nodeID)) stopped heartbeating at \(last)"
        for job in jobs {
            if job.attempt <= job.retries {
                try await core.jobs.move(
                    job, to: .queued, reason: "node_lost", requeue: true,
                    bookkeeping: [JobDirectory.cancelDelivered: false]
                ) { job in
                    job.message = message + "; queued again"
                    job.attempt += 1
                    job.nodeId = nil
                    job.gpuIds = []
                    job.progress = 0
                }
            } else {
                try await core.jobs.move(job, to: .failed, reason: "node_lost") { job in
                    job.message = message
                    job.endedAt = Timestamp.now
                }
            }
        }
    }
}
