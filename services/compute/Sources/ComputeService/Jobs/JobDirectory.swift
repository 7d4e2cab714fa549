import ComputeWire
import Foundation
import Platform
import Store

/// Jobs in compute's store: creation with its `job.queued` event, forward-only transitions each
/// recorded with its time and reason, and the reads the routes and the scheduler make.
struct JobDirectory: Sendable {
    let core: ComputeCore
    var store: any DocumentStore { core.store }

    /// Whether a requested cancel reached the job's node: the scheduler's own bookkeeping, kept
    /// in the store beside the record and never shown to clients.
    static let cancelDelivered = "cancelDelivered"
    /// CPUs, memory and GPUs of all a job's workers together (`JobRecord.footprint`), stored
    /// beside the record when it is queued so the scheduler's query can compare them with what
    /// a node has free; never shown to clients. Jobs stored before it ran one worker: their
    /// `resources` are their footprint.
    static let footprint = "footprint"

    func get(_ id: String) async throws -> JobRecord? {
        try await store.get(JobRecord.self, id)
    }

    func find(_ query: Query) async throws -> [JobRecord] {
        try await store.find(JobRecord.self, query)
    }

    /// The jobs holding resources on `nodeID`.
    func active(on nodeID: String) async throws -> [JobRecord] {
        try await find(Query(filter: ["nodeId": .string(nodeID), "state": JobState.activeValues]))
    }

    /// What the jobs matching `filter` (scheduled or running ones) hold; see `JobAllocation`.
    func allocations(_ filter: JSONValue) async throws -> [JobAllocation] {
        try await store.find(JobRecord.collection, Query(filter: filter)).map(JobAllocation.init(document:))
    }

    /// Ids of the jobs on `nodeID` whose cancel the node has not been told of, now marked told.
    func deliverCancels(to nodeID: String) async throws -> [String] {
        var filter: JSONValue = ["nodeId": .string(nodeID), "state": JobState.activeValues, "cancelRequested": true]
        filter[Self.cancelDelivered] = false
        let undelivered = try await find(Query(filter: filter))
        for job in undelivered {
            try await store.update(
                JobRecord.collection, filter: ["id": .string(job.id)],
                update: ["$set": .object([Self.cancelDelivered: true])], many: false)
        }
        return undelivered.map(\.id)
    }

    func insert(_ job: JobRecord) async throws {
        let document = try job.document()
        var stored = document
        let footprint = job.footprint
        stored[Self.footprint] = [
            "cpus": .double(footprint.cpus), "memoryMB": .int(Int64(footprint.memoryMB)),
            "gpus": .int(Int64(footprint.gpus)),
        ]
        try await store.batch([
            .insert(stored, into: JobRecord.collection),
            ComputeEvents.write("job.queued", subject: job.id, job.view(of: document)),
        ])
        core.wakeups.signal(Scheduler.topic)
        core.wakeups.signal("job:\(job.id)")
    }

    /// Writes `job` as it now is, without a transition (progress, usage, a cancel request);
    /// `bookkeeping` sets store-only fields beside it. The caller holds `core.transitions`.
    func save(_ job: JobRecord, bookkeeping: [String: JSONValue] = [:]) async throws {
        try await store.batch([try job.overwrite(storeOnly: bookkeeping)])
        core.wakeups.signal("job:\(job.id)")
    }

    /// Moves `job` to `state` after `change`; the caller holds `core.transitions`. Returns the
    /// job as stored. A move the state machine forbids is a 409. `requeue` is a lost node's
    /// way back to queued, which also clears the job's node.
    @discardableResult
    func move(
        _ job: JobRecord, to state: JobState, reason: String? = nil, requeue: Bool = false,
        bookkeeping: [String: JSONValue] = [:], _ change: (inout JobRecord) -> Void = { _ in }
    ) async throws -> JobRecord {
        guard requeue || job.state.canMove(to: state) else {
            throw APIError.conflict(
                "job \(job.id) is \(job.state.rawValue) and cannot become \(state.rawValue)",
                code: "job_\(job.state.rawValue)", field: "state")
        }
        let now = Timestamp.now
        var updated = job
        change(&updated)
        updated.state = state
        updated.updatedAt = now
        if let reason { updated.reason = reason }
        updated.transitions.append(JobRecord.Transition(state: state, at: now, reason: reason))
        var storeOnly = bookkeeping
        // A nil node is no field in the record, which would leave the lost node's id stored.
        if requeue { storeOnly["nodeId"] = .null }
        let document = try updated.document()
        // A job's consumption is recorded with its end, in one batch: never lost, never twice.
        let accounting = state.isTerminal ? JobAccounting(ended: updated) : nil
        try await store.batch(
            [
                try updated.overwrite(
                    where: ["state": .string(job.state.rawValue)], storeOnly: storeOnly, document: document),
                ComputeEvents.write("job.\(state.rawValue)", subject: job.id, updated.view(of: document)),
            ] + (try accounting.map { [.insert(try $0.document(), into: JobAccounting.collection)] } ?? []))
        accounting?.count()
        core.wakeups.signal("job:\(job.id)")
        if state.isTerminal || state == .queued { core.wakeups.signal(Scheduler.topic) }
        return updated
    }
}
