import ComputeWire
import Foundation
import Platform
import Store

/// Jobs in compute's store: creation with its `job.queued` event, forward-only transitions each
/// recorded with its time and reason, and the views clients and agents see.
struct JobDirectory: Sendable {
    let core: ComputeCore
    var store: any DocumentStore { core.store }

    /// A new queued job document for a checked spec and what it resolved to (the run already
    /// exists in data). `spec` stays as given, so a rerun resolves its template again.
    static func document(id: String, spec: JobSpec, resolved: ResolvedJob, owner: String, runID: String, rerunOf: String?) throws -> JSONValue {
        let now = Timestamp.now
        var job: JSONValue = [
            "id": .string(id), "projectId": .string(spec.projectId), "name": .string(spec.name ?? "job-\(id.suffix(8))"),
            "owner": .string(owner), "runId": .string(runID), "state": "queued",
            "queue": .string(spec.queue ?? JobSpec.defaultQueue), "priority": .int(Int64(spec.priority ?? JobSpec.defaultPriority)),
            // What the job runs, its template applied: agents read these, not the spec.
            "spec": try JSONValue(encoding: spec), "resources": try JSONValue(encoding: resolved.resources),
            "command": .array(resolved.command.map(JSONValue.string)), "env": try JSONValue(encoding: resolved.environment),
            "attempt": 1, "retries": .int(Int64(spec.retries ?? 0)),
            "progress": 0, "cancelRequested": false, "gpuIds": [],
            "createdAt": .string(now), "updatedAt": .string(now),
            "transitions": [["state": "queued", "at": .string(now)]],
        ]
        if let rerunOf { job["rerunOf"] = .string(rerunOf) }
        // Top level, because the scheduler places image jobs only on nodes whose executor runs images.
        if let image = resolved.image { job["image"] = .string(image) }
        if let template = resolved.template { job["template"] = .string(template) }
        return job
    }

    func insert(_ job: JSONValue) async throws {
        try await store.batch([.insert(job, into: "jobs"), ComputeEvents.write("job.queued", subject: job["id"]!.stringValue!, Self.view(job))])
        core.wakeups.signal(Scheduler.topic)
        core.wakeups.signal("job:\(job["id"]!.stringValue!)")
    }

    /// Moves `job` to `state` with `fields` set; the caller holds `core.transitions`. Returns the
    /// job as stored. A move the state machine forbids is a 409.
    @discardableResult
    func move(_ job: JSONValue, to state: JobState, reason: String? = nil, set fields: [String: JSONValue] = [:], requeue: Bool = false) async throws -> JSONValue {
        let id = job["id"]!.stringValue!
        guard let current = job["state"]?.stringValue.flatMap(JobState.init(rawValue:)) else { throw APIError.notFound("no job \(id)") }
        guard requeue || current.canMove(to: state) else {
            throw APIError.conflict("job \(id) is \(current.rawValue) and cannot become \(state.rawValue)", code: "job_\(current.rawValue)", field: "state")
        }
        let now = Timestamp.now
        var set = fields
        set["state"] = .string(state.rawValue)
        set["updatedAt"] = .string(now)
        if let reason { set["reason"] = .string(reason) }
        var transition: JSONValue = ["state": .string(state.rawValue), "at": .string(now)]
        if let reason { transition["reason"] = .string(reason) }
        var updated = job
        for (key, value) in set { updated[key] = value }
        updated["transitions"] = .array((job["transitions"]?.arrayValue ?? []) + [transition])
        try await store.batch([
            .update("jobs", filter: ["id": .string(id), "state": .string(current.rawValue)], update: ["$set": .object(set), "$push": ["transitions": transition]], many: false),
            ComputeEvents.write("job.\(state.rawValue)", subject: id, Self.view(updated)),
        ])
        core.wakeups.signal("job:\(id)")
        if state.isTerminal || state == .queued { core.wakeups.signal(Scheduler.topic) }
        return updated
    }

    /// A job as clients and events see it (the full snapshot, DESIGN.md §4), without the
    /// scheduler's own bookkeeping of whether a cancel reached the node.
    static func view(_ job: JSONValue) -> JSONValue {
        guard case .object(var members) = job else { return job }
        members.removeValue(forKey: "cancelDelivered")
        return .object(members)
    }

    /// What the agent needs to run `job`.
    static func assignment(_ job: JSONValue) throws -> Assignment {
        let spec = try job["spec"]!.decoded(as: JobSpec.self)
        return Assignment(
            jobId: job["id"]!.stringValue!, runId: job["runId"]!.stringValue!, projectId: spec.projectId,
            attempt: Int(job["attempt"]?.intValue ?? 1), command: (job["command"]?.arrayValue ?? []).compactMap(\.stringValue),
            environment: try job["env"]?.decoded(as: [String: String].self) ?? spec.env ?? [:], params: spec.params ?? [:], codePackage: spec.codePackage, inputs: spec.inputs ?? [],
            resources: try job["resources"]!.decoded(as: Resources.self), gpuIds: (job["gpuIds"]?.arrayValue ?? []).compactMap(\.stringValue),
            timeoutSeconds: spec.timeoutSeconds, cancelRequested: job["cancelRequested"] == .bool(true), image: job["image"]?.stringValue
        )
    }
}
