import Foundation
import Glibc

/// Runs each job in a bubblewrap sandbox inside its own cgroups on this machine. Every job has a
/// detached supervisor process, so jobs outlive the agent, and every piece of state is in the
/// job directory under `root`, so a new `LocalExecutor` on the same root picks up where an
/// earlier one stopped.
///
/// Must run as root: it creates cgroups and starts bubblewrap, which then drops the job to
/// `uid`/`gid`.
public struct LocalExecutor: Executor {
    public let kind = "local"
    public let root: URL
    /// argv prefix that starts a supervisor; the job directory is appended.
    public let supervisor: [String]
    public let uid: UInt32
    public let gid: UInt32

    /// How long `launch` waits for the supervisor to report the sandbox started.
    static let launchTimeout: Duration = .seconds(10)

    /// Throws when jobs could not be limited or sandboxed here (no usable cgroups, no bwrap,
    /// no way to give a job its own disk): better to refuse work than to run it unlimited.
    public init(root: URL, supervisor: [String], uid: UInt32 = 65534, gid: UInt32 = 65534) throws {
        guard !supervisor.isEmpty else { throw ExecutorError(.invalidJob, "supervisor command is empty") }
        guard uid != 0, gid != 0 else { throw ExecutorError(.invalidJob, "jobs never run as root (uid/gid 0)") }
        try CgroupHierarchy.detect().prepareParents()
        _ = try SandboxTools.locate()
        try Self.makeDirectory(root.path, mode: 0o700)
        try JobDisk.probe(in: root)
        // Resolved so every instance names job directories (and finds them on supervisors'
        // command lines) the same way, however the caller spelled the root.
        self.root = root.resolvingSymlinksInPath()
        self.supervisor = supervisor
        self.uid = uid
        self.gid = gid
    }

    public func prepare(jobId: String, diskMB: Int) async throws -> JobDirectories {
        try await JobRoot(root).prepare(jobId: jobId, diskMB: diskMB, uid: uid, gid: gid)
    }

    public func directories(of jobId: String) -> JobDirectories {
        JobLayout(root: root, jobId: jobId).directories
    }

    /// The supervisor keeps the job going on its own; only a disk unmounted by a host restart
    /// needs mounting again.
    public func attach(_ jobId: String) {
        JobRoot(root).remountDisk(of: jobId)
    }

    public func launch(_ job: SandboxJob) async throws {
        try job.validate(executorRoot: root)
        if let image = job.image {
            throw ExecutorError(
                .invalidJob,
                "the local executor runs the host's own system and cannot run image \(image); a docker node can")
        }
        let layout = try layout(of: job.jobId)
        guard FileManager.default.fileExists(atPath: layout.work.path) else {
            throw ExecutorError(.notFound, "job \(job.jobId) has no directories; call prepare first")
        }
        guard !layout.exists(layout.job) else {
            throw ExecutorError(.alreadyExists, "job \(job.jobId) was already launched")
        }
        try JobRoot(root).requireDisk(of: job)
        try JobFiles.write(job, to: layout.job)

        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let pid = try ProcessSpawner.spawn(
            supervisor + [layout.directory.path], environment: environment,
            outputPath: layout.supervisorLog.path, newSession: true
        )
        ProcessProbe.reapInBackground(pid)
        try JobFiles.write("\(pid)\n", to: layout.supervisorPid)

        let deadline = ContinuousClock.now.advanced(by: Self.launchTimeout)
        while ContinuousClock.now < deadline {
            if let result = status(layout) {
                if result.reason == .startFailed {
                    throw ExecutorError(.startFailed, result.message ?? "the supervisor could not start the job")
                }
                return
            }
            if layout.exists(layout.started) { return }
            // Only an exit counts here: until the supervisor has exec'd, its command line is
            // still ours (the pid is ours and fresh, so no other process can hold it).
            if ProcessProbe.hasExited(pid), status(layout) == nil, !layout.exists(layout.started) {
                let tail = JobFiles.readText(layout.supervisorLog)?.suffix(2_000) ?? ""
                throw ExecutorError(.startFailed, "the supervisor exited without starting the job: \(tail)")
            }
            try await Task.sleep(for: .milliseconds(2))  // launch latency is what a user waits for
        }
        throw ExecutorError(.startFailed, "the supervisor did not start job \(job.jobId) within \(Self.launchTimeout)")
    }

    public func knownJobs() throws -> [String] {
        try JobRoot(root).knownJobs()
    }

    public func remove(_ jobId: String) throws {
        let layout = try existingLayout(of: jobId)
        if layout.exists(layout.job), result(of: jobId) == nil {
            throw ExecutorError(.stillRunning, "job \(jobId) is running; cancel it first")
        }
        if let cgroups = try? JobFiles.read(JobCgroups.self, from: layout.cgroups), cgroups.exists {
            try cgroups.kill()
            try cgroups.remove()
        }
        try JobRoot(root).removeDirectory(of: layout)
    }

    func layout(of jobId: String) throws -> JobLayout {
        try JobRoot(root).layout(of: jobId)
    }

    func existingLayout(of jobId: String) throws -> JobLayout {
        try JobRoot(root).existingLayout(of: jobId)
    }

    func status(_ layout: JobLayout) -> ExecutionResult? {
        try? JobFiles.read(ExecutionResult.self, from: layout.status)
    }

    /// mkdir with an exact mode (the umask would otherwise loosen or tighten it).
    package static func makeDirectory(_ path: String, mode: mode_t) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ExecutorError(.io, "cannot create \(path): \(error)")
        }
        guard chmod(path, mode) == 0 else { throw ExecutorError(.io, "chmod \(path): \(SysFile.errnoText())") }
    }
}
