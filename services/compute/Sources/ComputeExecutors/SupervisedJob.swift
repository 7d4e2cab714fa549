import Foundation
import Glibc

/// One started sandbox and what the supervisor needs to see it through.
struct SupervisedJob {
    let layout: JobLayout
    let job: SandboxJob
    let cgroups: JobCgroups
    let pid: pid_t
    let startedAt: Date

    /// Environment of the placement shell; bwrap clears it for the job anyway.
    static let shellEnvironment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    /// How often the supervisor checks for a cancel marker and the deadline.
    static let pollMilliseconds: Int32 = 50

    /// Creates the cgroups and spawns the sandbox inside them. Throws, leaving no cgroups,
    /// when the job cannot start.
    static func start(_ layout: JobLayout) throws -> SupervisedJob {
        let job: SandboxJob
        do {
            job = try JobFiles.read(SandboxJob.self, from: layout.job)
        } catch {
            throw ExecutorError(.invalidJob, "cannot read \(layout.job.path): \(error)")
        }
        guard job.jobId == layout.jobId else {
            throw ExecutorError(.invalidJob, "job.json names \(job.jobId) but lives in \(layout.directory.path)")
        }
        try job.validate(executorRoot: layout.root)
        try JobDisk(layout).requireMounted(sizeMB: job.limits.diskMB)
        let (uid, gid) = try sandboxUser(layout)

        Subreaper.become()
        let cgroups = try CgroupHierarchy.detect().cgroups(for: job.jobId)
        // Recorded before anything is created, so nothing can exist that the agent cannot find.
        try JobFiles.write(cgroups, to: layout.cgroups)
        try cgroups.create(limits: job.limits)
        do {
            let argv = cgroups.placed(
                try SandboxCommand.arguments(job: job, directories: layout.directories, uid: uid, gid: gid))
            let startedAt = Date()
            let pid = try ProcessSpawner.spawn(
                argv, environment: shellEnvironment, outputPath: layout.log.path, newSession: true)
            try? JobFiles.write("\(pid)\n", to: layout.started)
            return SupervisedJob(layout: layout, job: job, cgroups: cgroups, pid: pid, startedAt: startedAt)
        } catch {
            try? cgroups.remove()
            throw error
        }
    }

    /// The job runs as the owner of its work directory, which `prepare` chowned; that keeps the
    /// supervisor's command line to just the job directory. Root is refused outright.
    static func sandboxUser(_ layout: JobLayout) throws -> (uid: UInt32, gid: UInt32) {
        var info = stat()
        guard stat(layout.work.path, &info) == 0 else {
            throw ExecutorError(.invalidJob, "no work directory at \(layout.work.path)")
        }
        guard info.st_uid != 0, info.st_gid != 0 else {
            throw ExecutorError(.invalidJob, "work directory is owned by root; jobs never run as root")
        }
        return (info.st_uid, info.st_gid)
    }

    /// Waits for the sandbox to end, enforcing cancel and timeout, then measures, cleans up and
    /// says why it ended.
    func superviseToEnd() -> ExecutionResult {
        let deadline = job.timeoutSeconds.map { ContinuousClock.now.advanced(by: .seconds($0)) }
        var cancelled = false
        var timedOut = false
        var status: WaitStatus?
        let exitWatch = ChildExitWatch(pid)
        while true {
            if let ended = Subreaper.reapEnded(watching: pid) {
                status = ended
                break
            }
            if kill(pid, 0) != 0 && errno == ESRCH { break }  // reaped elsewhere: no status to be had
            if !cancelled, !timedOut, layout.exists(layout.cancelMarker) { cancelled = true }
            if !cancelled, !timedOut, let deadline, ContinuousClock.now >= deadline { timedOut = true }
            // Repeated each round: kill only returns once the cgroup is empty, but a failed
            // attempt must not leave the job running.
            if cancelled || timedOut {
                do { try cgroups.kill() } catch { Supervisor.report("kill: \(error)") }
            }
            exitWatch.pause(milliseconds: Self.pollMilliseconds)
        }
        let endedAt = Date()
        // The agent writes the marker before it kills, so a cancel that raced the exit still counts.
        cancelled = cancelled || (!timedOut && layout.exists(layout.cancelMarker))

        var usage = cgroups.usage()
        if let peak = cgroups.peakPids { usage?.pids = peak }
        let oomKills = cgroups.oomKillCount
        // Read before anyone unmounts it: the agent does so only after this status exists.
        let diskFull = JobDisk(layout).isFull
        var problems: [String] = []
        do {
            // Anything that escaped bwrap's pid namespace teardown (nothing should).
            try cgroups.kill()
            _ = Subreaper.reapEnded(watching: pid)
            try cgroups.remove()
        } catch {
            problems.append("cleanup: \(error)")
        }
        let outcome = ExitClassifier.classify(
            status, cancelled: cancelled, timedOut: timedOut, oomKills: oomKills, diskFull: diskFull,
            timeoutSeconds: job.timeoutSeconds)
        let message = ([outcome.message].compactMap { $0 } + problems).joined(separator: "; ")
        return ExecutionResult(
            reason: outcome.reason,
            exitCode: outcome.exitCode,
            signal: outcome.signal,
            message: message.isEmpty ? nil : message,
            startedAt: startedAt,
            endedAt: endedAt,
            usage: usage
        )
    }
}
