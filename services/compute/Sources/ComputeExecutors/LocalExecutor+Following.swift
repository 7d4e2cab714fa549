import ComputeWire
import Foundation
import Glibc

/// Following a job that runs (or ran) under a supervisor: status, log, usage and cancel. All of
/// it reads the job directory, so it works the same for jobs another instance launched.
extension LocalExecutor {
    public func result(of jobId: String) -> ExecutionResult? {
        guard let layout = try? layout(of: jobId) else {
            return lost(message: "invalid job id '\(jobId)'", since: nil)
        }
        if let result = status(layout) { return result }
        guard FileManager.default.fileExists(atPath: layout.directory.path) else {
            return lost(message: "no job \(jobId) under \(root.path)", since: nil)
        }
        // Prepared but not launched yet: not finished, so nil.
        guard let launchedAt = modificationDate(layout.job) else { return nil }
        if let pid = JobFiles.readText(layout.supervisorPid).flatMap({
            pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }) {
            if ProcessProbe.isRunning(pid, commandLineContains: layout.directory.path) { return nil }
        } else if Date().timeIntervalSince(launchedAt) < Double(Self.launchTimeout.components.seconds) {
            return nil  // launch is between writing job.json and supervisor.pid
        }
        // The supervisor may have written its status and exited between our two looks.
        if let result = status(layout) { return result }
        return lost(
            message: "the supervisor died without writing a status",
            since: modificationDate(layout.started) ?? launchedAt)
    }

    /// Polls `result(of:)`; a cancelled wait ends early, the job does not.
    public func wait(for jobId: String) async -> ExecutionResult {
        await JobRoot.poll { result(of: jobId) }
    }

    public func readLog(of jobId: String, from offset: UInt64, limit: Int) throws -> (bytes: [UInt8], next: UInt64) {
        try JobRoot(root).readLog(of: jobId, from: offset, limit: limit)
    }

    /// Marks the job cancelled, kills its cgroup (forks included) and waits for its status.
    public func cancel(_ jobId: String) async throws {
        guard let (layout, launchedAt) = try JobRoot(root).markCancelled(jobId) else { return }
        if let cgroups = try? JobFiles.read(JobCgroups.self, from: layout.cgroups) {
            try await Self.offThePool { try cgroups.kill() }
        }
        let deadline = ContinuousClock.now.advanced(by: Self.launchTimeout)
        while ContinuousClock.now < deadline {
            if let result = result(of: jobId) {
                if result.reason == .supervisorLost {
                    // Nobody else will record the cancel.
                    try JobFiles.write(
                        ExecutionResult(
                            reason: .cancelled, message: "cancelled after the supervisor was lost",
                            startedAt: launchedAt, endedAt: Date()), to: layout.status)
                }
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ExecutorError(.stillRunning, "job \(jobId) did not end within \(Self.launchTimeout) of being cancelled")
    }

    public func usage(of jobId: String) -> ResourceUsage? {
        guard let layout = try? layout(of: jobId), !layout.exists(layout.status),
            let cgroups = try? JobFiles.read(JobCgroups.self, from: layout.cgroups)
        else { return nil }
        return cgroups.usage()
    }

    private func lost(message: String, since: Date?) -> ExecutionResult {
        ExecutionResult(reason: .supervisorLost, message: message, startedAt: since ?? Date(), endedAt: Date())
    }

    private func modificationDate(_ url: URL) -> Date? {
        try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate
    }

    /// Killing a cgroup polls with short sleeps, making a disk waits for mkfs and mount; do
    /// such work on its own thread, not Swift's pool.
    package static func offThePool<Value: Sendable>(
        _ work: @escaping @Sendable () throws -> Value
    ) async throws -> Value {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
