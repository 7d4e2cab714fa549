import Foundation
import Platform

/// Submission's quota check. A job waits queued (with `pendingReason`) while a quota it could
/// fit later is reached — next month, when jobs end, when an admin raises it — and is refused
/// only when it could never run under the quotas as they are: an hour quota of 0 for what it
/// needs (CPU-hours for every job, GPU-hours for a job with GPUs). 422 naming the quota.
enum QuotaAdmission {
    static func check(_ core: ComputeCore, project: String, owner: String, gpus: Int) async throws {
        let book = try await QuotaBook.load(core)
        for holder in [QuotaHolder.project(project), .user(owner)] {
            let limits = book.limits(of: holder)
            if limits.cpuHoursPerMonth == 0 {
                throw refusal(holder, "cpuHoursPerMonth", "CPU-hour quota is 0 h a month: no job of it can run")
            }
            if gpus > 0, limits.gpuHoursPerMonth == 0 {
                throw refusal(
                    holder, "gpuHoursPerMonth", "GPU-hour quota is 0 h a month: no job asking for GPUs can run")
            }
        }
    }

    private static func refusal(_ holder: QuotaHolder, _ quota: String, _ text: String) -> APIError {
        APIError.unprocessable(
            "the \(holder.kind) \(holder.id)'s \(text); an administrator can raise it (PUT /v1/quotas/\(holder.kind)s/\(holder.id))",
            field: "quota.\(quota)")
    }
}
