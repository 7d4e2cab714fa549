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

    /// Creates the job's directory (root only: it holds the log and state) and its work/ and
    /// output/, owned by the job's uid, which it reaches through its mounts.
    package func prepare(jobId: String, uid: UInt32, gid: UInt32) throws -> JobDirectories {
        let layout = try layout(of: jobId)
        guard !layout.exists(layout.job) else {
            throw ExecutorError(.alreadyExists, "job \(jobId) was already launched")
        }
        try LocalExecutor.makeDirectory(layout.directory.path, mode: 0o700)
        for directory in [layout.work, layout.output] {
            try LocalExecutor.makeDirectory(directory.path, mode: 0o755)
            guard chown(directory.path, uid, gid) == 0 else {
                throw ExecutorError(.io, "chown \(directory.path): \(SysFile.errnoText())")
            }
        }
        return layout.directories
    }

    package func knownJobs() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { SandboxJob.isValidJobId($0) }
            .filter { (try? URL(fileURLWithPath: url.path + "/" + $0).resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
            .sorted()
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
                return ExecutionResult(reason: .cancelled, message: "wait was cancelled; the job may still be running", startedAt: since, endedAt: Date())
            }
        }
    }
}
