import ComputeWire
import Foundation
import Platform
import Store

/// Nodes as their agents announce them: capacity, queues, executor, last heartbeat and the
/// usage it carried. An agent keeps its node id across restarts, so registering again is how
/// it re-attaches to the jobs compute believes it runs.
struct NodeDirectory: Sendable {
    let core: ComputeCore
    var store: any DocumentStore { core.store }

    func get(_ id: String) async throws -> NodeRecord? {
        try await store.get(NodeRecord.self, id)
    }

    func online(_ id: String) async throws -> NodeRecord? {
        try await get(id).flatMap { $0.state == .online ? $0 : nil }
    }

    func all() async throws -> [NodeRecord] {
        try await store.find(NodeRecord.self, Query(filter: [:], sort: [.ascending("name")]))
    }

    /// Online nodes whose last heartbeat is older than `cutoff` (ms since 1970).
    func silent(since cutoff: Int64) async throws -> [NodeRecord] {
        try await store.find(
            NodeRecord.self,
            Query(filter: ["state": .string(NodeRecord.State.online.rawValue), "heartbeatAtMs": ["$lt": .int(cutoff)]]))
    }

    func register(_ nodeID: String, _ registration: NodeRegistration) async throws -> RegistrationAnswer {
        try registration.validate()
        try await core.transitions.withLock {
            let existing = try await get(nodeID)
            let node = try NodeRecord(id: nodeID, registration, at: Date(), createdAt: existing?.createdAt).document()
            try await store.batch([
                .delete(NodeRecord.collection, filter: ["id": .string(nodeID)]),
                .insert(node, into: NodeRecord.collection),
                ComputeEvents.write("node.registered", subject: nodeID, node),
            ])
        }
        core.wakeups.signal(Scheduler.topic)
        return RegistrationAnswer(nodeId: nodeID, activeJobs: try await core.jobs.active(on: nodeID).map(\.assignment))
    }

    /// Records a heartbeat and the usage of each job it names; 404 for a node compute gave up on
    /// (the agent then registers again).
    func heartbeat(_ nodeID: String, _ beat: Heartbeat) async throws {
        let now = Date()
        let total = beat.jobs.values.reduce(into: Usage(cpuSeconds: 0, memoryBytes: 0, memoryPeakBytes: 0, pids: 0)) {
            total, usage in
            total.cpuSeconds += usage.cpuSeconds
            total.memoryBytes += usage.memoryBytes
            total.memoryPeakBytes += usage.memoryPeakBytes
            total.pids += usage.pids
        }
        let jobs = beat.jobs.filter { ID.isValid($0.key) }
        let usage = try jobs.map { job, usage -> WriteOperation in
            .update(
                "jobs", filter: ["id": .string(job), "nodeId": .string(nodeID)],
                update: ["$set": ["usage": try JSONValue(encoding: usage)]], many: false)
        }
        let samples = try UsageHistory.writes(
            node: nodeID, total: total, jobs: jobs, at: now, window: core.settings.usageWindow)
        // Under the transitions lock, so a node is never declared lost while its heartbeat lands.
        try await core.transitions.withLock {
            guard var node = try await online(nodeID) else {
                throw APIError.notFound("no node \(nodeID) online; register it again", field: "nodeId")
            }
            node.lastHeartbeat = Timestamp.format(now)
            node.heartbeatAtMs = NodeRecord.milliseconds(now)
            node.usage = NodeUsage(measured: total)
            node.runningJobs = beat.jobs.count
            // One transaction for the node and every job's usage, not one each.
            try await store.batch([try node.overwrite()] + usage + samples)
        }
        ComputeMetrics.record(node: nodeID, total: total, jobs: beat.jobs)
    }

    /// A node with what is allocated on it, as clients see it.
    func view(_ node: NodeRecord) async throws -> JSONValue {
        let free = try await Scheduler(core: core).free(on: node)
        let capacity = node.capacity
        var view = try node.document()
        view["heartbeatAtMs"] = nil
        view["allocated"] = [
            "cpus": .double(capacity.cpus - free.cpus), "memoryMB": .int(Int64(capacity.memoryMB - free.memoryMB)),
            "gpus": .array(capacity.gpus.filter { !free.gpuIDs.contains($0) }.map(JSONValue.string)),
        ]
        return view
    }
}
