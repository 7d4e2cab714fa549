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
            try await core.transitions.withLock { try await lose(node) }
        }
    }

    private func lose(_ node: JSONValue) async throws {
        let nodeID = node["id"]!
        let last = node["lastHeartbeat"]?.stringValue ?? "never"
        guard try await core.store.update("nodes", filter: ["id": nodeID, "state": "online"], update: ["$set": ["state": "lost"]], many: false) == 1 else { return }
        var lost = node
        lost["state"] = "lost"
        try await core.store.batch([ComputeEvents.write("node.lost", subject: nodeID.stringValue!, lost)])
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
