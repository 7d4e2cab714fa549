import ComputeWire
import Foundation
import Platform

/// An agent's report on a job it runs: progress (no event; watchers are woken) and state
/// changes with their reason, exit code and final usage. A report for a job that is not on
/// that node any more (lost and requeued, say) is a 409, which tells the agent to stop it.
struct JobReports: Sendable {
    let core: ComputeCore

    func apply(_ report: JobReport, job jobID: String, node nodeID: String) async throws -> JSONValue {
        if let progress = report.progress { try JobSpec.check(progress.isFinite && (0...1).contains(progress), "progress", "progress is 0 to 1") }
        let state = try report.state.map { text in
            guard let state = JobState(rawValue: text), state == .running || state.isTerminal else {
                throw APIError.invalidField("state", "state is running, succeeded, failed, cancelled or timed_out")
            }
            return state
        }
        return try await core.transitions.withLock {
            guard let job = try await core.store.get(jobID, from: "jobs") else { throw APIError.notFound("no job \(jobID)") }
            guard job["nodeId"]?.stringValue == nodeID else {
                throw APIError.conflict("job \(jobID) is not assigned to node \(nodeID)", code: "job_not_on_node", field: "jobId")
            }
            let current = job["state"]?.stringValue.flatMap(JobState.init(rawValue:)) ?? .queued
            if current.isTerminal {
                // A repeated end (the agent retrying after a lost answer) is answered, not refused.
                guard state?.isTerminal == true else { throw APIError.conflict("job \(jobID) already ended \(current.rawValue)", code: "job_\(current.rawValue)", field: "state") }
                return job
            }
            var fields: [String: JSONValue] = [:]
            if let progress = report.progress { fields["progress"] = .double(progress) }
            if let message = report.progressMessage { fields["progressMessage"] = .string(String(message.prefix(1000))) }
            if let usage = report.usage { fields["usage"] = try JSONValue(encoding: usage) }
            guard let state, state != current else {
                guard !fields.isEmpty else { return job }
                try await core.store.update("jobs", filter: ["id": .string(jobID)], update: ["$set": .object(fields)], many: false)
                core.wakeups.signal("job:\(jobID)")
                var updated = job
                for (key, value) in fields { updated[key] = value }
                return updated
            }
            if let message = report.message { fields["message"] = .string(String(message.prefix(4000))) }
            if let exitCode = report.exitCode { fields["exitCode"] = .int(Int64(exitCode)) }
            fields[state == .running ? "startedAt" : "endedAt"] = .string(Timestamp.now)
            if state == .succeeded { fields["progress"] = 1 }
            if state.isTerminal {
                // The highest the kernel (or Docker) saw: the final report's, or a heartbeat's.
                let peaks = [report.usage?.memoryPeakBytes, job["usage"]?["memoryPeakBytes"]?.intValue.map(Int.init)].compactMap { $0 }
                if let peak = peaks.max() { fields["peakMemoryBytes"] = .int(Int64(peak)) }
            }
            return try await core.jobs.move(job, to: state, reason: report.reason ?? (state == .running ? nil : state.rawValue), set: fields)
        }
    }
}
