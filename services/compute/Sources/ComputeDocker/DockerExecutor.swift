import ComputeExecutors
import ComputeWire
import Foundation
import Glibc
import Synchronization

/// Runs each job as a Docker container through the Engine API. The job directory under `root`
/// has the local executor's layout (job.json, log, status.json, work/, output/), so the agent
/// treats both alike; the daemon, not a supervisor of ours, keeps the container alive across
/// agent restarts, and a new executor on the same root re-attaches by the container's name.
///
/// Per job one follower (see `ContainerFollower`) copies the container's log into the job's
/// log file, samples its stats, enforces the timeout, and when the container stops writes
/// status.json and removes the container. Followers and the removal of removed jobs'
/// containers run in `run()`, which the executor's owner awaits for as long as it uses it:
///
/// ```swift
/// let executor = try await DockerExecutor(root: root, engine: engine)
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await executor.run() }
///     try await executor.launch(job)
///     let result = await executor.wait(for: job.jobId)
///     group.cancelAll()
/// }
/// ```
public final class DockerExecutor: Executor {
    public let kind = "docker"
    public let root: URL
    public let engine: DockerEngine
    public let uid: UInt32
    public let gid: UInt32
    /// How long a cancelled container gets between SIGTERM and SIGKILL.
    public let stopGraceSeconds: Int
    let followers = Mutex<[String: ContainerFollower]>([:])
    /// What `run()` does beside the calls that asked for it, in order.
    private let work: AsyncStream<BackgroundWork>
    private let workQueue: AsyncStream<BackgroundWork>.Continuation

    enum BackgroundWork: Sendable {
        case follow(ContainerFollower)
        /// A removed job's container: removal is an API call, and `remove(_:)` is not async.
        case removeContainer(String)
    }

    /// Throws when the daemon cannot be reached or jobs cannot get disks of their own: better to
    /// refuse work than to take jobs that cannot start (or would run unlimited).
    public init(
        root: URL, engine: DockerEngine, uid: UInt32 = 65534, gid: UInt32 = 65534, stopGraceSeconds: Int = 10
    ) async throws {
        guard uid != 0, gid != 0 else { throw ExecutorError(.invalidJob, "jobs never run as root (uid/gid 0)") }
        do {
            _ = try await engine.ping()
        } catch {
            throw ExecutorError(.sandboxUnavailable, "the docker executor needs a Docker daemon: \(error)")
        }
        try LocalExecutor.makeDirectory(root.path, mode: 0o700)
        try JobDisk.probe(in: root)
        self.root = root.resolvingSymlinksInPath()
        self.engine = engine
        self.uid = uid
        self.gid = gid
        self.stopGraceSeconds = stopGraceSeconds
        (work, workQueue) = AsyncStream.makeStream()
        try await removeOrphans()
    }

    /// Follows the jobs and removes the containers of removed jobs until `shutdown()` or the
    /// calling task's cancellation; call it once. Jobs are followed (their status written,
    /// their end seen) only while it runs. Either end is an agent stopping: followers stop and
    /// containers keep running, for the next executor to re-attach. A cancelled removal is
    /// done by the next executor (`removeOrphans`: its job's directory is gone).
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await item in work {
                switch item {
                case .follow(let follower):
                    group.addTask {
                        await follower.run()
                        self.followerEnded(follower)
                    }
                case .removeContainer(let name):
                    group.addTask { [engine] in try? await engine.remove(name) }
                }
            }
        }
    }

    /// Containers this root started whose job directory is gone (removed while the daemon was
    /// busy or unreachable): found by label, removed. A job with a directory is the agent's to
    /// re-attach or clean up.
    private func removeOrphans() async throws {
        for name in try await engine.containers(labelled: "\(ContainerConfig.rootLabel)=\(root.path)")
        where name.hasPrefix("mlex-job-") {
            let jobId = String(name.dropFirst("mlex-job-".count))
            guard SandboxJob.isValidJobId(jobId),
                !FileManager.default.fileExists(atPath: root.appendingPathComponent(jobId).path)
            else { continue }
            try await engine.remove(name)
        }
    }

    /// The container's name: one per job, so a retried create or a re-attach finds the same one.
    public static func containerName(_ jobId: String) -> String { "mlex-job-\(jobId)" }

    public func prepare(jobId: String, diskMB: Int) async throws -> JobDirectories {
        try await JobRoot(root).prepare(jobId: jobId, diskMB: diskMB, uid: uid, gid: gid)
    }

    public func directories(of jobId: String) -> JobDirectories { JobLayout(root: root, jobId: jobId).directories }

    public func launch(_ job: SandboxJob) async throws {
        try job.validate(executorRoot: root)
        guard let image = job.image else {
            throw ExecutorError(
                .invalidJob,
                "the docker executor runs jobs in an image; this job names none (a local node runs it on the host's system)"
            )
        }
        let layout = try layout(of: job.jobId)
        guard layout.exists(layout.work) else {
            throw ExecutorError(.notFound, "job \(job.jobId) has no directories; call prepare first")
        }
        guard !layout.exists(layout.job) else {
            throw ExecutorError(.alreadyExists, "job \(job.jobId) was already launched")
        }
        try JobRoot(root).requireDisk(of: job)
        try await ensureImage(image)
        try JobFiles.write(job, to: layout.job)
        let name = Self.containerName(job.jobId)
        do {
            _ = try await engine.createContainer(
                name: name, ContainerConfig(job: job, image: image, layout: layout, uid: uid, gid: gid))
            try await engine.start(name)
        } catch {
            try? await engine.remove(name)
            let result = ExecutionResult(reason: .startFailed, message: "\(error)", startedAt: Date(), endedAt: Date())
            try? JobFiles.write(result, to: layout.status)
            throw ExecutorError(.startFailed, "container for job \(job.jobId) did not start: \(error)")
        }
        try JobFiles.write("\(Date().timeIntervalSince1970)\n", to: layout.started)
        follow(layout)
    }

    /// The image must be on this node; a missing one is pulled (where a registry is reachable).
    private func ensureImage(_ image: String) async throws {
        do {
            if try await engine.hasImage(image) { return }
            try await engine.pull(image)
        } catch {
            throw ExecutorError(.startFailed, "image \(image) is not on this node and could not be pulled: \(error)")
        }
    }

    public func attach(_ jobId: String) {
        JobRoot(root).remountDisk(of: jobId)
        guard let layout = try? layout(of: jobId), layout.exists(layout.job), !layout.exists(layout.status) else {
            return
        }
        follow(layout)
    }

    /// Ends `run()` once the container removals already asked for are done; followers stop at
    /// once, leaving their containers running. For a graceful stop.
    public func shutdown() {
        workQueue.finish()
        stopFollowing()
    }

    /// Has `run()` start the job's follower unless one runs.
    func follow(_ layout: JobLayout) {
        let follower: ContainerFollower? = followers.withLock { followers in
            guard followers[layout.jobId] == nil else { return nil }
            let follower = ContainerFollower(engine: engine, layout: layout)
            followers[layout.jobId] = follower
            return follower
        }
        if let follower { workQueue.yield(.follow(follower)) }
    }

    public func knownJobs() throws -> [String] {
        try JobRoot(root).knownJobs()
    }

    public func result(of jobId: String) -> ExecutionResult? {
        guard let layout = try? layout(of: jobId) else {
            return ExecutionResult(
                reason: .supervisorLost, message: "invalid job id '\(jobId)'", startedAt: Date(), endedAt: Date())
        }
        if let result = try? JobFiles.read(ExecutionResult.self, from: layout.status) { return result }
        guard layout.exists(layout.directory) else {
            return ExecutionResult(
                reason: .supervisorLost, message: "no job \(jobId) under \(root.path)", startedAt: Date(),
                endedAt: Date())
        }
        return nil
    }

    /// Polls the status file the follower writes; a cancelled wait ends early (the job does not).
    public func wait(for jobId: String) async -> ExecutionResult {
        attach(jobId)
        return await JobRoot.poll { result(of: jobId) }
    }

    public func readLog(of jobId: String, from offset: UInt64, limit: Int) throws -> (bytes: [UInt8], next: UInt64) {
        try JobRoot(root).readLog(of: jobId, from: offset, limit: limit)
    }

    /// Marks the job cancelled, stops its container (SIGTERM to docker-init, which passes it on,
    /// then SIGKILL) and waits for the follower's status.
    public func cancel(_ jobId: String) async throws {
        guard let (layout, _) = try JobRoot(root).markCancelled(jobId) else { return }
        follow(layout)
        try await engine.stop(Self.containerName(jobId), graceSeconds: stopGraceSeconds)
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            if layout.exists(layout.status) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ExecutorError(.stillRunning, "job \(jobId) did not end within 30 s of being cancelled")
    }

    public func usage(of jobId: String) -> ResourceUsage? {
        guard let layout = try? layout(of: jobId), !layout.exists(layout.status) else { return nil }
        return followers.withLock { $0[jobId] }?.latestUsage
    }

    /// Deletes the job's directory and disk; a container still there (the job never ended
    /// cleanly) is removed by `run()`, since removal is an API call and this is not async. Its
    /// bind mounts keep the unmounted disk alive until then.
    public func remove(_ jobId: String) throws {
        let layout = try existingLayout(of: jobId)
        if layout.exists(layout.job), result(of: jobId) == nil {
            throw ExecutorError(.stillRunning, "job \(jobId) is running; cancel it first")
        }
        followers.withLock { _ = $0.removeValue(forKey: jobId) }
        workQueue.yield(.removeContainer(Self.containerName(jobId)))
        try JobRoot(root).removeDirectory(of: layout)
    }

    /// Stops every follower, leaving the containers running (as for a re-attach by another
    /// executor); `run()` goes on, and a later call that needs a follower starts one again.
    public func stopFollowing() {
        followers.withLock { followers in
            for follower in followers.values { follower.stop() }
            followers.removeAll()
        }
    }

    /// Forgets a follower whose `run()` returned, unless another took its place meanwhile.
    private func followerEnded(_ follower: ContainerFollower) {
        followers.withLock { followers in
            if followers[follower.layout.jobId] === follower { followers.removeValue(forKey: follower.layout.jobId) }
        }
    }

    func layout(of jobId: String) throws -> JobLayout {
        try JobRoot(root).layout(of: jobId)
    }

    func existingLayout(of jobId: String) throws -> JobLayout {
        try JobRoot(root).existingLayout(of: jobId)
    }
}
