import ComputeWire
import Foundation

/// Host directories of one job; the sandbox sees `work` at /job, `output` at /output and `tmp`
/// at /tmp. An executor's jobs have all three on their own disk (`JobDisk`); without `tmp` (a
/// bare sandbox, as the benchmark runs) /tmp is a tmpfs, charged to the job's memory.
public struct JobDirectories: Sendable {
    public let work: URL
    public let output: URL
    public let tmp: URL?

    public init(work: URL, output: URL, tmp: URL? = nil) {
        self.work = work
        self.output = output
        self.tmp = tmp
    }
}

/// Runs sandboxed jobs. All state lives on disk under the executor's root, so a new instance on
/// the same root (after an agent restart) can find, follow and cancel jobs an earlier one began.
///
/// ```swift
/// let executor = try LocalExecutor(root: root, supervisor: ["/usr/bin/mlex-compute-agent", "supervise"])
/// let dirs = try await executor.prepare(jobId: id, diskMB: 1024)   // then copy code into dirs.work
/// try await executor.launch(job)
/// let result = await executor.wait(for: id)
/// ```
public protocol Executor: Sendable {
    /// Short name of the backend, e.g. "local".
    var kind: String { get }
    /// Creates `<root>/<jobId>` and the job's own disk of `diskMB` MiB (`JobDisk`) holding its
    /// work/, output/ and tmp/; the caller fills `work` before `launch`, whose limits must name
    /// the same `diskMB`. Throws `.diskUnavailable` when no disk can be made: never a job
    /// without one.
    func prepare(jobId: String, diskMB: Int) async throws -> JobDirectories
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
    /// Deletes an ended job's directory, its disk (unmounted) and any cgroups left behind.
    func remove(_ jobId: String) throws
    /// Takes up a job an earlier instance launched (after an agent restart), before its log is
    /// read, its end awaited or its outputs collected: its disk is mounted again if the host
    /// restarted meanwhile.
    func attach(_ jobId: String)
}
