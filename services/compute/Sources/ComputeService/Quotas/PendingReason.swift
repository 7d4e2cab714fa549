import Foundation
import Platform

/// A queued job's `pendingReason`: the quota that keeps it waiting now, worked out when the
/// job is read (the scheduler asks the same `QuotaGate` at each claim), so it is never stale
/// and costs no write per claim.
enum PendingReason {
    /// The views of `jobs`, each queued one that a quota holds with `pendingReason`.
    static func views(of jobs: [JobRecord], _ core: ComputeCore) async throws -> [JSONValue] {
        var gate = jobs.contains { $0.state == .queued } ? try await QuotaGate.load(core) : nil
        var views: [JSONValue] = []
        for job in jobs {
            var view = try job.view()
            if job.state == .queued,
                let hold = try await gate?.hold(project: job.projectId, owner: job.owner, gpus: job.footprint.gpus)
            {
                view["pendingReason"] = .string(hold.message)
            }
            views.append(view)
        }
        return views
    }

    static func view(of job: JobRecord, _ core: ComputeCore) async throws -> JSONValue {
        try await views(of: [job], core)[0]
    }
}
