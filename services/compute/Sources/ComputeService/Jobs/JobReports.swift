import ComputeWire
import Foundation
import Platform

/// An agent's report on a job it runs: progress (no event; watchers are woken) and state
/// changes with their reason, exit code and final usage. A report for a job that is not on
/// that node any more (lost and requeued, say) is a 409, which tells the agent to stop it.
struct JobReports: Sendable {
    let core: ComputeCore

    func apply(_ report: JobReport, job jobID: String, node nodeID: String) async throws -> JobRecord {
        let state = try report.validatedState()
        return try await core.transitions.withLock {
            guard let stored = try await core.jobs.get(jobID) else { throw APIError.notFound("no job \(jobID)") }
            guard stored.nodeId == nodeID else {
                throw APIError.conflict(
                    "job \(jobID) is not assigned to node \(nodeID)", code: "job_not_on_node", field: "jobId")
            }
            if stored.state.isTerminal {
                // A repeated end (the agent retrying after a lost answer) is answered, not refused.
                guard state?.isTerminal == true else {
                    throw APIError.conflict(
                        "job \(jobID) already ended \(stored.state.rawValue)", code: "job_\(stored.state.rawValue)",
                        field: "state")
                }
                return stored
            }
            var job = stored
            if let progress = report.progress { job.progress = progress }
            if let message = report.progressMessage { job.progressMessage = String(message.prefix(1000)) }
            if let usage = report.usage { job.usage = usage }
            guard let state, state != stored.state else {
                guard job != stored else { return stored }
                try await core.jobs.save(job)
                return job
            }
            let now = Timestamp.now
            return try await core.jobs.move(
                job, to: state, reason: report.reason ?? (state == .running ? nil : state.rawValue)
            ) { job in
                if let message = report.message { job.message = String(message.prefix(4000)) }
                if let exitCode = report.exitCode { job.exitCode = exitCode }
                if state == .running { job.startedAt = now } else { job.endedAt = now }
                if state == .succeeded { job.progress = 1 }
                if state.isTerminal {
                    // The highest the kernel (or Docker) saw: the final report's, or a heartbeat's.
                    job.peakMemoryBytes =
                        [report.usage?.memoryPeakBytes, stored.usage?.memoryPeakBytes].compactMap { $0 }.max()
                        ?? job.peakMemoryBytes
                }
            }
        }
    }
}
