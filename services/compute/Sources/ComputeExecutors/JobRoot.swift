import Foundation
import Glibc

/// The executor root: one directory per job in `JobLayout`'s shape. What every executor does with
/// it the same way — checked job ids, creating a job's directories for its uid, listing them, and
/// waiting for a job's status file — lives here once.
package struct JobRoot: Sendable {
    package let url: URL

    package init(_ url: URL) {
        self.url = url
    }

    package func layout(of jobId: String) throws -> JobLayout {
        guard SandboxJob.isValidJobId(jobId) else {
            throw ExecutorError(.invalidJob, "job id must be 1-64 characters of [A-Za-z0-9-], got '\(jobId)'")
        }
        return JobLayout(root: url, jobId: jobId)
    }

    package func existingLayout(of jobId: String) throws -> JobLayout {
        let layout = try layout(of: jobId)
        guard FileManager.default.fileExists(atPath: layout.directory.path) else {
            throw ExecutorError(.notFound, "no job \(jobId) under \(url.path)")
        }
        return layout
    }

    /// Creates the job's directory (root only: it holds the log and state) and its disk of
    /// `diskMB` with work/ and output/ owned by the job's uid, which it reaches through its
    /// mounts, and tmp/. Runs mkfs and mount: off Swift's pool.
    package func prepare(jobId: String, diskMB: Int, uid: UInt32, gid: UInt32) async throws -> JobDirectories {
        let layout = try layout(of: jobId)
        guard !layout.exists(layout.job) else {
            throw ExecutorError(.alreadyExists, "job \(jobId) was already launched")
        }
        try LocalExecutor.makeDirectory(layout.directory.path, mode: 0o700)
        try await LocalExecutor.offThePool { try JobDisk.create(layout, sizeMB: diskMB, uid: uid, gid: gid) }
        return layout.directories
    }

    /// What both executors check before a job starts: its disk is mounted and is the size its
    /// limits say, so no job writes to the host's disk without limit.
    package func requireDisk(of job: SandboxJob) throws {
        try JobDisk(try existingLayout(of: job.jobId)).requireMounted(sizeMB: job.limits.diskMB)
    }

    /// Unmounts the job's disk and deletes its directory; the disk first, so the delete never
    /// walks into a mounted filesystem.
    package func removeDirectory(of layout: JobLayout) throws {
        try JobDisk(layout).remove()
        try FileManager.default.removeItem(at: layout.directory)
    }

    /// Mounts the disk of a job an earlier instance prepared again if the host restarted since,
    /// so its outputs can still be collected.
    package func remountDisk(of jobId: String) {
        guard let layout = try? existingLayout(of: jobId) else { return }
        try? JobDisk(layout).mountIfNeeded()
    }

    package func knownJobs() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { SandboxJob.isValidJobId($0) }
            .filter {
                (try? URL(fileURLWithPath: url.path + "/" + $0).resourceValues(forKeys: [.isDirectoryKey]).isDirectory)
                    == true
            }
            .sorted()
    }

    /// Up to `limit` bytes of a job's combined output from `offset`.
    package func readLog(of jobId: String, from offset: UInt64, limit: Int) throws -> (bytes: [UInt8], next: UInt64) {
        try JobFiles.readLog(try existingLayout(of: jobId).log, from: offset, limit: limit)
    }

    /// The start of every executor's cancel: nil when there is nothing left to stop (the job has
    /// ended, or was never launched — then it is recorded cancelled here); otherwise the job,
    /// marked, and when it was launched. The marker comes first: whoever sees the job die must
    /// already see why.
    package func markCancelled(_ jobId: String) throws -> (layout: JobLayout, launchedAt: Date)? {
        let layout = try existingLayout(of: jobId)
        if layout.exists(layout.status) { return nil }
        try JobFiles.write("\(Date())\n", to: layout.cancelMarker)
        guard
            let launchedAt = try? layout.job.resourceValues(forKeys: [.contentModificationDateKey])
                .contentModificationDate
        else {
            // Never launched; a later launch finds the marker and ends at once.
            try JobFiles.write(
                ExecutionResult(
                    reason: .cancelled, message: "cancelled before launch", startedAt: Date(), endedAt: Date()),
                to: layout.status)
            return nil
        }
        return (layout, launchedAt)
    }

    /// Polls `result` until it answers. If the waiting task is cancelled the wait ends early
    /// with a `.cancelled` result saying so; that result is the wait's, the job keeps running.
    package static func poll(_ result: () -> ExecutionResult?) async -> ExecutionResult {
        let since = Date()
        while true {
            if let result = result() { return result }
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                return ExecutionResult(
                    reason: .cancelled, message: "wait was cancelled; the job may still be running", startedAt: since,
                    endedAt: Date())
            }
        }
    }
}
