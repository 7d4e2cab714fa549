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
        let silent = try await core.store.find("nodes", Query(filter: ["state": "online", "heartbeatAtMs": ["$lt": .int(cutoff)]]))
        for node in silent {
            try await core.transitions.withLock { try await lose(node["id"]!, silentSince: cutoff) }
        }
    }

    /// Marks the node lost, with its event, unless it heartbeated meanwhile (heartbeats take
    /// the same lock, so what is read here holds until the batch).
    private func lose(_ nodeID: JSONValue, silentSince cutoff: Int64) async throws {
        guard var node = try await core.store.get(nodeID.stringValue!, from: "nodes"), node["state"] == "online",
              let beat = node["heartbeatAtMs"]?.intValue, beat < cutoff
        else { return }
        let last = node["lastHeartbeat"]?.stringValue ?? "never"
        node["state"] = "lost"
        try await core.store.batch([
            .update("nodes", filter: ["id": nodeID], update: ["$set": ["state": "lost"]], many: false),
            ComputeEvents.write("node.lost", subject: nodeID.stringValue!, node),
        ])
        logger.warning("node lost: no heartbeat since \(last)", metadata: ["node": "\(nodeID.stringValue!)"])
        let jobs = try await core.store.find("jobs", Query(filter: ["nodeId": nodeID, "state": JobState.activeValues]))
        let message = "node \(node["name"]?.stringValue ?? "") (\(nodeID.stringValue!)) stopped heartbeating at \(last)"
        for job in jobs {
            let attempt = job["attempt"]?.intValue ?? 1
            if attempt <= job["retries"]?.intValue ?? 0 {
                try await core.jobs.move(job, to: .queued, reason: "node_lost", set: [
                    "message": .string(message + "; queued again"), "attempt": .int(attempt + 1), "nodeId": .null, "gpuIds": [],
                    "cancelDelivered": false, "progress": 0,
                ], requeue: true)
            } else {
                try await core.jobs.move(job, to: .failed, reason: "node_lost", set: ["message": .string(message), "endedAt": .string(Timestamp.now)])
            }
        }
    }
}
