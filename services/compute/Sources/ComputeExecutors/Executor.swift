import Foundation

/// Host directories of one job; the sandbox sees `work` at /job and `output` at /output.
public struct JobDirectories: Sendable {
    public let work: URL
    public let output: URL

    public init(work: URL, output: URL) {
        self.work = work
        self.output = output
    }
}

/// Runs sandboxed jobs. All state lives on disk under the executor's root, so a new instance on
/// the same root (after an agent restart) can find, follow and cancel jobs an earlier one began.
///
/// ```swift
/// let executor = try LocalExecutor(root: root, supervisor: ["/usr/bin/mlex-compute-agent", "supervise"])
/// let dirs = try executor.prepare(jobId: id)          // then copy code into dirs.work
/// try await executor.launch(job)
/// let result = await executor.wait(for: id)
/// ```
public protocol Executor: Sendable {
    /// Short name of the backend, e.g. "local".
    var kind: String { get }
    /// Creates `<root>/<jobId>/{work,output}`; the caller fills `work` before `launch`.
    func prepare(jobId: String) throws -> JobDirectories
    /// Where an existing job's directories are (after a restart too); nothing is created.
    func directories(of jobId: String) -> JobDirectories
    /// Returns once the job's process has started, or throws why it could not.
    func launch(_ job: SandboxJob) async throws
    /// Ids of all jobs with a directory on disk, running or not.
    func knownJobs() throws -> [String]
    /// nil while the job runs; `.supervisorLost` when it cannot have a result any more.
    func result(of jobId: String) -> ExecutionResult?
    /// Waits for the job to end. Cancelling the waiting task ends the wait, not the job.
    func wait(for jobId: String) async -> ExecutionResult
    /// Up to `limit` bytes of the job's combined stdout and stderr from `offset`.
    func readLog(of jobId: String, from offset: UInt64, limit: Int) throws -> (bytes: [UInt8], next: UInt64)
    /// Ends a running job; its result becomes `.cancelled`.
    func cancel(_ jobId: String) async throws
    /// Live counters, nil once the job's cgroups are gone.
    func usage(of jobId: String) -> ResourceUsage?
    /// Deletes an ended job's directory and any cgroups left behind.
    func remove(_ jobId: String) throws
    /// Takes up a job an earlier instance launched (after an agent restart), before its log is
    /// read or its end awaited. Executors whose jobs write their own status need nothing here.
    func attach(_ jobId: String)
}

extension Executor {
    public func attach(_ jobId: String) {}
}
