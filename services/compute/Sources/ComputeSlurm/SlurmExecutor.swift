import ComputeExecutors
import Foundation

/// Runs each job as a Slurm batch job: Slurm places it and enforces its CPUs, memory and time
/// in its cgroup; the batch script runs the same bubblewrap sandbox as the local executor. All
/// state is the job directory under `root` (with Slurm's job id in it), so a new instance on the
/// same root follows, cancels and collects the jobs an earlier one submitted.
///
/// The job directories must be at the same path on the nodes that run the jobs, since the
/// script mounts them into the sandbox; the agent runs as root and submits as root, and the
/// sandbox drops each job to `uid`/`gid`.
public struct SlurmExecutor: Executor {
    public let kind = "slurm"
    public let root: URL
    public let commands: SlurmCommands
    /// Empty: the cluster's default partition.
    public let partition: String
    public let uid: UInt32
    public let gid: UInt32

    /// How often a waiting job is looked up in Slurm.
    static let pollInterval: Duration = .milliseconds(250)
    /// How long a cancel waits for Slurm to end the job (its KillWait, 30 s by default, is the
    /// most it takes after SIGTERM).
    static let cancelTimeout: Duration = .seconds(60)

    /// Throws when Slurm cannot be reached or jobs could not get their own disks: better to
    /// refuse work than to fail every job.
    public init(
        root: URL, commands: SlurmCommands, partition: String = "", uid: UInt32 = 65534, gid: UInt32 = 65534
    )
        throws
    {
        guard uid != 0, gid != 0 else { throw ExecutorError(.invalidJob, "jobs never run as root (uid/gid 0)") }
        do {
            _ = try commands.run("sinfo", ["--version"])
            let partitions = try commands.run("sinfo", ["--noheader", "--format=%P"])
            if !partition.isEmpty,
                !partitions.split(whereSeparator: \.isNewline).contains(where: {
                    $0 == partition || $0 == partition + "*"
                })
            {
                throw ExecutorError(.startFailed, "Slurm has no partition \(partition); it has: \(partitions)")
            }
        } catch let error as SlurmCommands.Failure {
            throw ExecutorError(.startFailed, "Slurm cannot be reached: \(error)")
        }
        try LocalExecutor.makeDirectory(root.path, mode: 0o700)
        try JobDisk.probe(in: root)
        self.root = root.resolvingSymlinksInPath()
        self.commands = commands
        self.partition = partition
        self.uid = uid
        self.gid = gid
    }

    /// What the partition offers (the default one when `partition` is empty).
    public func capacity() throws -> SlurmCapacity {
        var arguments = ["--noheader", "--Node", "--format=\(SlurmCapacity.format)"]
        if !partition.isEmpty { arguments.append("--partition=\(partition)") }
        if partition.isEmpty,
            let name = SlurmCapacity.defaultPartition(try commands.run("sinfo", ["--noheader", "--format=%P"]))
        {
            arguments.append("--partition=\(name)")
        }
        return SlurmCapacity.parse(try commands.run("sinfo", arguments))
    }

    public func prepare(jobId: String, diskMB: Int) async throws -> JobDirectories {
        try await JobRoot(root).prepare(jobId: jobId, diskMB: diskMB, uid: uid, gid: gid)
    }

    public func directories(of jobId: String) -> JobDirectories {
        JobLayout(root: root, jobId: jobId).directories
    }

    /// Slurm keeps the job going on its own; only a disk unmounted by a host restart needs
    /// mounting again.
    public func attach(_ jobId: String) {
        JobRoot(root).remountDisk(of: jobId)
    }

    /// Submits the job and returns once its sandbox has started (the script's `started`
    /// marker) or the job ended first. A job Slurm keeps pending is waited for as long as it
    /// takes: cancelling the waiting task leaves it submitted, and a later agent re-attaches.
    public func launch(_ job: SandboxJob) async throws {
        try job.validate(executorRoot: root)
        if let image = job.image {
            throw ExecutorError(
                .invalidJob, "the slurm executor runs the nodes' own system and cannot run image \(image)")
        }
        let layout = try JobRoot(root).existingLayout(of: job.jobId)
        let files = SlurmJobFiles(layout: layout)
        guard !layout.exists(layout.job) else {
            throw ExecutorError(.alreadyExists, "job \(job.jobId) was already launched")
        }
        try JobRoot(root).requireDisk(of: job)
        try JobFiles.write(job, to: layout.job)
        let script = SlurmBatchScript(
            jobId: job.jobId, directory: layout.directory, sandbox: try sandbox(of: job, in: layout),
            limits: job.limits, timeoutSeconds: job.timeoutSeconds, partition: partition, workers: job.workers,
            binDirectory: commands.binDirectory)
        if job.workers > 1 {
            try LocalExecutor.makeDirectory(files.ranks.path, mode: 0o700)
            try JobFiles.write(
                SlurmWorkerScript(
                    directory: layout.directory, sandbox: script.sandbox, memoryMB: job.limits.memoryMB,
                    gpus: job.limits.gpus
                ).text, to: files.workerScript)
        }
        try JobFiles.write(script.text, to: files.script)
        let slurmId: String
        do {
            // `--parsable` prints `<id>` or `<id>;<cluster>`.
            let answer = try await LocalExecutor.offThePool {
                try commands.run("sbatch", ["--parsable", files.script.path])
            }
            slurmId = String(answer.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first ?? "")
        } catch let error as SlurmCommands.Failure {
            try? FileManager.default.removeItem(at: layout.job)
            throw ExecutorError(.startFailed, "Slurm refused the job: \(error.output)")
        }
        guard !slurmId.isEmpty else { throw ExecutorError(.startFailed, "sbatch printed no job id") }
        try JobFiles.write("\(slurmId)\n", to: files.slurmId)
        var lastLookup = ContinuousClock.now
        while !layout.exists(layout.started) {
            if ContinuousClock.now - lastLookup >= Self.pollInterval {
                lastLookup = ContinuousClock.now
                if result(of: job.jobId) != nil { return }
            }
            // Start latency is what a user waits for; the marker is a cheap stat.
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The sandbox of the job's workers. One worker: no network, and its variables fixed (rank
    /// 0 of 1, the master itself). Several: the host's network, as they may be on different
    /// nodes, and variables `SlurmWorkerScript` fills in per task (the values here are
    /// placeholders it replaces). A job with GPUs gets a placeholder CUDA_VISIBLE_DEVICES too,
    /// which overrides the job's own and which the script fills in with Slurm's (`SlurmSandboxLine`).
    private func sandbox(of job: SandboxJob, in layout: JobLayout) throws -> [String] {
        var variables = WorkerEnvironment.variables(
            rank: 0, localRank: 0, worldSize: job.workers, masterAddress: "127.0.0.1")
        if job.limits.gpus > 0 { variables.merge(SlurmSandboxLine.slurmGPUs) { $1 } }
        return try SandboxCommand.arguments(
            job: job, directories: layout.directories, uid: uid, gid: gid, workerVariables: variables,
            network: job.workers > 1 ? .host : .own)
    }

    public func knownJobs() throws -> [String] {
        try JobRoot(root).knownJobs()
    }

    public func readLog(of jobId: String, from offset: UInt64, limit: Int) throws -> (bytes: [UInt8], next: UInt64) {
        try JobRoot(root).readLog(of: jobId, from: offset, limit: limit)
    }

    public func remove(_ jobId: String) throws {
        let layout = try JobRoot(root).existingLayout(of: jobId)
        if layout.exists(layout.job), result(of: jobId) == nil {
            throw ExecutorError(.stillRunning, "job \(jobId) is running; cancel it first")
        }
        try JobRoot(root).removeDirectory(of: layout)
    }
}
