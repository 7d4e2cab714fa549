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

    func register(_ nodeID: String, _ registration: NodeRegistration) async throws -> RegistrationAnswer {
        try NodeDirectory.validate(registration)
        let now = Date()
        try await core.transitions.withLock {
            var node: JSONValue = [
                "id": .string(nodeID), "name": .string(registration.name), "executor": .string(registration.executor),
                "queues": .array(registration.queues.map(JSONValue.string)), "capacity": try JSONValue(encoding: registration.capacity),
                "state": "online", "lastHeartbeat": .string(Timestamp.format(now)), "heartbeatAtMs": .int(Int64(now.timeIntervalSince1970 * 1000)),
                "registeredAt": .string(Timestamp.format(now)), "usage": [:],
            ]
            if let existing = try await store.get(nodeID, from: "nodes") { node["createdAt"] = existing["createdAt"] } else { node["createdAt"] = node["registeredAt"] }
            try await store.batch([
                .delete("nodes", filter: ["id": .string(nodeID)]), .insert(node, into: "nodes"),
                ComputeEvents.write("node.registered", subject: nodeID, node),
            ])
        }
        core.wakeups.signal(Scheduler.topic)
        let active = try await store.find("jobs", Query(filter: ["nodeId": .string(nodeID), "state": JobState.activeValues]))
        return RegistrationAnswer(nodeId: nodeID, activeJobs: try active.map(JobDirectory.assignment))
    }

    /// Records a heartbeat and the usage of each job it names; 404 for a node compute gave up on
    /// (the agent then registers again).
    func heartbeat(_ nodeID: String, _ beat: Heartbeat) async throws {
        let now = Date()
        var total = Usage(cpuSeconds: 0, memoryBytes: 0, memoryPeakBytes: 0, pids: 0)
        for usage in beat.jobs.values {
            total.cpuSeconds += usage.cpuSeconds
            total.memoryBytes += usage.memoryBytes
            total.memoryPeakBytes += usage.memoryPeakBytes
            total.pids += usage.pids
        }
        let usage = try beat.jobs.filter { ID.isValid($0.key) }.map { job, usage -> WriteOperation in
            .update("jobs", filter: ["id": .string(job), "nodeId": .string(nodeID)], update: ["$set": ["usage": try JSONValue(encoding: usage)]], many: false)
        }
        let set: JSONValue = [
            "lastHeartbeat": .string(Timestamp.format(now)), "heartbeatAtMs": .int(Int64(now.timeIntervalSince1970 * 1000)),
            "usage": try JSONValue(encoding: total), "runningJobs": .int(Int64(beat.jobs.count)),
        ]
        let samples = try UsageHistory.writes(node: nodeID, total: total, jobs: beat.jobs.filter { ID.isValid($0.key) }, at: now)
        // Under the transitions lock, so a node is never declared lost while its heartbeat lands.
        try await core.transitions.withLock {
            guard try await store.get(nodeID, from: "nodes")?["state"] == "online" else {
                throw APIError.notFound("no node \(nodeID) online; register it again", field: "nodeId")
            }
            // One transaction for the node and every job's usage, not one each.
            try await store.batch([.update("nodes", filter: ["id": .string(nodeID)], update: ["$set": set], many: false)] + usage + samples)
        }
        ComputeMetrics.record(node: nodeID, total: total, jobs: beat.jobs)
    }

    /// A node with what is allocated on it, as clients see it.
    func view(_ node: JSONValue) async throws -> JSONValue {
        let free = try await Scheduler(core: core).free(on: node)
        let capacity = try node["capacity"]!.decoded(as: NodeCapacity.self)
        var view = node
        view["heartbeatAtMs"] = nil
        view["allocated"] = [
            "cpus": .double(capacity.cpus - free.cpus), "memoryMB": .int(Int64(capacity.memoryMB - free.memoryMB)),
            "gpus": .array(capacity.gpus.filter { !free.gpuIDs.contains($0) }.map(JSONValue.string)),
        ]
        return view
    }

    static func validate(_ registration: NodeRegistration) throws {
        try JobSpec.check(!registration.name.isEmpty && registration.name.utf8.count <= 200, "name", "name is 1 to 200 bytes")
        try JobSpec.check(registration.capacity.cpus > 0 && registration.capacity.cpus.isFinite, "capacity.cpus", "cpus is above 0")
        try JobSpec.check(registration.capacity.memoryMB > 0, "capacity.memoryMB", "memoryMB is above 0")
        if let disk = registration.capacity.diskMB { try JobSpec.check(disk >= 0, "capacity.diskMB", "diskMB is 0 or more") }
        try JobSpec.check(Set(registration.capacity.gpus).count == registration.capacity.gpus.count, "capacity.gpus", "GPU ids are distinct")
        try JobSpec.check(!registration.queues.isEmpty && registration.queues.allSatisfy(JobSpec.isQueueName), "queues", "one or more queue names")
    }
}
