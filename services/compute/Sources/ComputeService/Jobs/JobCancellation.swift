import Foundation
import Platform

/// Ends a job on someone's request: a queued job at once, a scheduled or running one on its
/// node (the agent kills it, cgroup and all, at its next long poll, which this wakes). A user's
/// cancel (`POST /v1/jobs/{id}/cancel`) and a deployment scaling down both come here.
struct JobCancellation: Sendable {
    let core: ComputeCore

    /// The job as it now is; 409 `job_<state>` for one that already ended.
    func cancel(_ id: String, by: String) async throws -> JobRecord {
        try await core.transitions.withLock {
            guard var job = try await core.jobs.get(id) else { throw APIError.notFound("no job \(id)") }
            switch job.state {
            case .queued:
                return try await core.jobs.move(job, to: .cancelled, reason: "cancelled") { job in
                    job.message = "cancelled by \(by) while queued"
                    job.endedAt = Timestamp.now
                }
            case .scheduled, .running:
                job.cancelRequested = true
                job.cancelledBy = by
                try await core.jobs.save(job, bookkeeping: [JobDirectory.cancelDelivered: false])
                core.wakeups.signal(Scheduler.topic)
                return job
            default:
                throw APIError.conflict(
                    "job already ended \(job.state.rawValue)", code: "job_\(job.state.rawValue)", field: "state")
            }
        }
    }
}
