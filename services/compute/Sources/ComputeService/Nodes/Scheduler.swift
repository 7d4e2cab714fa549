import ComputeWire
import Foundation
import Platform
import ServiceLifecycle
import Store

/// Places queued jobs on nodes. A node's agent long-polls for instructions; each poll claims at
/// most one job that fits what the node has free — capacity minus the resources of the jobs
/// scheduled or running there, computed from the jobs themselves so nothing can drift — in
/// priority order (higher first), FIFO within a priority. A job of several workers is claimed
/// whole or not at all: only by a node with every worker's resources free at once. Claims take
/// `core.transitions`, so two claims never count the same free resources, and the conditional
/// update on `state: queued` keeps a cancelled job from being claimed. GPU ids go to one job at
/// a time.
struct Scheduler: Sendable {
    static let topic = "scheduler"
    /// How many holders' quotas one claim may find reached before it gives up until the next
    /// poll: bounds a claim's reads when many projects are over their quota.
    static let maxQuotaHoldsPerClaim = 32
    let core: ComputeCore
    var store: any DocumentStore { core.store }

    struct Free {
        var cpus: Double
        var memoryMB: Int
        var gpuIDs: [String]
    }

    /// What the node has left: capacity minus the resources of its scheduled and running jobs.
    func free(on node: NodeRecord) async throws -> Free {
        var free = Free(cpus: node.capacity.cpus, memoryMB: node.capacity.memoryMB, gpuIDs: node.capacity.gpus)
        for held in try await core.jobs.allocations(["nodeId": .string(node.id), "state": JobState.activeValues]) {
            free.cpus -= held.cpus
            free.memoryMB -= held.memoryMB
            let taken = Set(held.gpuIds)
            free.gpuIDs.removeAll { taken.contains($0) }
        }
        return free
    }

    /// Claims the first queued job that fits `node`, or nil. The caller holds `core.transitions`.
    func claim(on node: NodeRecord) async throws -> JobRecord? {
        let free = try await free(on: node)
        // A full node (the usual state of a busy cluster) claims nothing: no need to read the queue.
        guard free.cpus > 1e-6, free.memoryMB >= 16 else { return nil }
        /// The amounts under `prefix` (a job's footprint, or a one-worker job's resources) are free.
        func fits(_ prefix: String) -> [String: JSONValue] {
            [
                // A tiny tolerance so 0.1 + 0.2 cpus fit in 0.3.
                "\(prefix).cpus": ["$lte": .double(free.cpus + 1e-9)],
                "\(prefix).memoryMB": ["$lte": .int(Int64(free.memoryMB))],
                "\(prefix).gpus": ["$lte": .int(Int64(free.gpuIDs.count))],
            ]
        }
        var oneWorker = fits("resources")
        oneWorker["\(JobDirectory.footprint).cpus"] = ["$exists": false]
        var conditions: [JSONValue] = [
            // All the job's workers fit; a job stored before footprints has one worker.
            ["$or": [.object(fits(JobDirectory.footprint)), .object(oneWorker)]]
        ]
        // Disks are sparse, so they are not subtracted from what is free; but a node never takes
        // a job whose disk is larger than it has (jobs from before disks name none).
        if let disk = node.capacity.diskMB {
            conditions.append([
                "$or": [
                    ["resources.diskMB": ["$exists": false]], ["resources.diskMB": ["$lte": .int(Int64(disk))]],
                ]
            ])
        }
        let base: JSONValue = [
            "state": "queued", "queue": ["$in": .array(node.queues.map(JSONValue.string))],
            "image": ["$exists": .bool(node.runsImages)],
        ]
        // Quotas are asked about the job at the head of the queue only: a job its project's or
        // owner's quota holds is left out with every job that quota holds, and the next is read.
        var gate = try await QuotaGate.load(core)
        var candidate: JobRecord?
        for _ in 0..<Self.maxQuotaHoldsPerClaim {
            var filter = base
            filter["$and"] = .array(conditions)
            guard
                let job = try await core.jobs.find(
                    Query(filter: filter, sort: [.descending("priority"), .ascending("id")], limit: 1)
                ).first
            else { return nil }
            guard
                let hold = try await gate?.hold(
                    project: job.projectId, owner: job.owner, gpus: job.footprint.gpus)
            else {
                candidate = job
                break
            }
            conditions.append(hold.exclusion)
        }
        guard let job = candidate else { return nil }
        return try await core.jobs.move(job, to: .scheduled, bookkeeping: [JobDirectory.cancelDelivered: false]) {
            job in
            job.nodeId = node.id
            job.gpuIds = Array(free.gpuIDs.prefix(job.footprint.gpus))
            job.scheduledAt = Timestamp.now
        }
    }

    /// The long poll: returns as soon as there is a job to start or to cancel on this node, or
    /// empty after `wait`.
    func instructions(for nodeID: String, wait: Duration) async throws -> Instructions {
        let deadline = ContinuousClock.now + wait
        while true {
            let answer: Instructions = try await core.transitions.withLock {
                guard let node = try await NodeDirectory(core: core).online(nodeID) else {
                    throw APIError.notFound("no node \(nodeID) online; register it again", field: "nodeId")
                }
                let cancellations = try await core.jobs.deliverCancels(to: nodeID)
                let claimed = try await claim(on: node)
                return Instructions(assignments: claimed.map { [$0.assignment] } ?? [], cancellations: cancellations)
            }
            let remaining = deadline - ContinuousClock.now
            if !answer.assignments.isEmpty || !answer.cancellations.isEmpty || remaining <= .zero
                || Task.isShuttingDownGracefully
            {
                return answer
            }
            await core.wait(for: Self.topic, atMost: min(remaining, .seconds(5)))
        }
    }

    /// Submission's check that some node could ever run the job, all `workers` of `resources`
    /// at once: 422 saying why not.
    func requireSomeNodeCanHold(_ resources: Resources, workers: Int, queue: String, image: String?) async throws {
        let nodes = try await store.find(NodeRecord.self, Query(filter: [:]))
        guard !nodes.isEmpty else { return }  // none registered yet: the job waits for one
        let inQueue = nodes.filter { $0.queues.contains(queue) }
        guard !inQueue.isEmpty else {
            throw APIError.unprocessable(
                "no node serves queue \(queue); queues served: \(Set(nodes.flatMap(\.queues)).sorted().joined(separator: ", "))",
                field: "queue")
        }
        let serving = inQueue.filter { $0.runsImages == (image != nil) }
        guard !serving.isEmpty else {
            let executors = Set(inQueue.map(\.executor)).sorted().joined(separator: ", ")
            throw image != nil
                ? APIError.unprocessable(
                    "no node of queue \(queue) runs container images (its executors: \(executors)); leave out image to run on the host's system, or use a queue with docker nodes",
                    field: "image")
                : APIError.unprocessable(
                    "every node of queue \(queue) runs container images (\(executors)); name an image or a template with one",
                    field: "image")
        }
        let capacities = serving.map(\.capacity)
        if capacities.contains(where: { Self.fits(resources.forWorkers(workers), in: $0) }) { return }
        guard workers > 1, capacities.contains(where: { Self.fits(resources, in: $0) }) else {
            throw Self.tooBig(resources, queue: queue, nodes: capacities)
        }
        throw Self.tooManyWorkers(workers, resources, queue: queue, nodes: capacities)
    }

    /// Whether a node of `capacity` could ever hold `resources`: CPUs, memory, GPUs, and disk
    /// where the node says how much it has (agents before job disks do not).
    static func fits(_ resources: Resources, in capacity: NodeCapacity) -> Bool {
        resources.cpus <= capacity.cpus + 1e-9 && resources.memoryMB <= capacity.memoryMB
            && resources.gpus <= capacity.gpus.count
            && (resources.diskMB ?? 0) <= (capacity.diskMB ?? .max)
    }

    /// Slurm's "Requested node configuration is not available", said plainly: 422 naming the
    /// first resource no node of the queue has enough of, with the most that any has; naming
    /// `resources` when each fits some node but none fits all at once.
    static func tooBig(_ resources: Resources, queue: String, nodes: [NodeCapacity]) -> APIError {
        func refuse(_ resource: String, _ asked: String, largest: String) -> APIError {
            APIError.unprocessable(
                "resources.\(resource) \(asked) is more than any node of queue \(queue) has: the largest has \(largest)",
                field: "resources.\(resource)")
        }
        let cpus = nodes.map(\.cpus).max() ?? 0
        let memory = nodes.map(\.memoryMB).max() ?? 0
        let gpus = nodes.map(\.gpus.count).max() ?? 0
        let disk = nodes.allSatisfy { $0.diskMB != nil } ? nodes.compactMap(\.diskMB).max() : nil
        if resources.cpus > cpus + 1e-9 {
            return refuse("cpus", number(resources.cpus), largest: "\(number(cpus)) cpus")
        }
        if resources.memoryMB > memory { return refuse("memoryMB", "\(resources.memoryMB)", largest: "\(memory) MB") }
        if resources.gpus > gpus { return refuse("gpus", "\(resources.gpus)", largest: "\(gpus) GPUs") }
        if let asked = resources.diskMB, let disk, asked > disk {
            return refuse("diskMB", "\(asked)", largest: "\(disk) MB of disk")
        }
        func describe(cpus: Double, memoryMB: Int, gpus: Int, diskMB: Int?) -> String {
            "\(number(cpus)) cpus, \(memoryMB) MB, \(gpus) GPUs" + (diskMB.map { ", \($0) MB of disk" } ?? "")
        }
        let asked = describe(
            cpus: resources.cpus, memoryMB: resources.memoryMB, gpus: resources.gpus,
            diskMB: disk == nil ? nil : resources.diskMB)
        let offered = nodes.map {
            describe(cpus: $0.cpus, memoryMB: $0.memoryMB, gpus: $0.gpus.count, diskMB: $0.diskMB)
        }.joined(separator: "; ")
        return APIError.unprocessable(
            "no node of queue \(queue) has \(asked) at once (its nodes: \(offered))", field: "resources")
    }

    /// One worker fits a node of the queue but `workers` of them fit none: 422 naming `workers`,
    /// with what they need together and what the nodes have.
    static func tooManyWorkers(_ workers: Int, _ each: Resources, queue: String, nodes: [NodeCapacity]) -> APIError {
        let total = each.forWorkers(workers)
        let offered = nodes.map { "\(number($0.cpus)) cpus, \($0.memoryMB) MB, \($0.gpus.count) GPUs" }
        return APIError.unprocessable(
            "\(workers) workers need \(number(total.cpus)) cpus, \(total.memoryMB) MB and \(total.gpus) GPUs on one node (resources are per worker); no node of queue \(queue) has that much (its nodes: \(offered.joined(separator: "; ")))",
            field: "workers")
    }

    /// 2 rather than 2.0: CPU counts as people write them.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
