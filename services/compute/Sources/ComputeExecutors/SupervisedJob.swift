import Foundation
import Glibc

/// A started job — one sandbox per worker — and what the supervisor needs to see it through.
struct SupervisedJob {
    struct Worker {
        let rank: Int
        let pid: pid_t
        /// The worker's own cgroups; a one-worker job's are the job's.
        let cgroups: JobCgroups
    }

    let layout: JobLayout
    let job: SandboxJob
    let cgroups: JobCgroups
    let workers: [Worker]
    /// The workers' output pipes; nil for one worker, whose sandbox writes the job's log itself.
    let output: WorkerOutputs?
    let startedAt: Date

    /// Environment of the placement shell; bwrap clears it for the job anyway.
    static let shellEnvironment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    /// How often the supervisor checks for a cancel marker and the deadline.
    static let pollMilliseconds: Int32 = 50
    /// Where workers find rank 0: they share one network namespace (`PrivateNetwork`).
    static let masterAddress = "127.0.0.1"

    /// Creates the cgroups and spawns the sandboxes inside them. Throws, leaving no cgroups and
    /// no process, when the job cannot start.
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
        // Before any worker starts: each inherits this thread's network namespace.
        if job.workers > 1 { try PrivateNetwork.enter() }
        let cgroups = try CgroupHierarchy.detect().cgroups(for: job.jobId)
        // Recorded before anything is created, so nothing can exist that the agent cannot find.
        try JobFiles.write(cgroups, to: layout.cgroups)
        let workerCgroups: [JobCgroups]
        if job.workers == 1 {
            try cgroups.create(limits: job.limits)
            workerCgroups = [cgroups]
        } else {
            workerCgroups = try cgroups.create(workers: job.workers, limits: job.limits)
        }
        var workers: [Worker] = []
        do {
            let output = job.workers > 1 ? try WorkerOutputs(layout, workers: job.workers) : nil
            let startedAt = Date()
            for (rank, placement) in workerCgroups.enumerated() {
                let argv = placement.placed(
                    try SandboxCommand.arguments(
                        job: job, directories: layout.directories, uid: uid, gid: gid,
                        workerVariables: WorkerEnvironment.variables(
                            rank: rank, localRank: rank, worldSize: job.workers, masterAddress: masterAddress),
                        network: job.workers > 1 ? .inherited : .own))
                let pid =
                    if let output {
                        try ProcessSpawner.spawn(
                            argv, environment: shellEnvironment, outputDescriptor: output.writeEnd(of: rank),
                            newSession: true)
                    } else {
                        try ProcessSpawner.spawn(
                            argv, environment: shellEnvironment, outputPath: layout.log.path, newSession: true)
                    }
                workers.append(Worker(rank: rank, pid: pid, cgroups: placement))
            }
            output?.closeWriteEnds()
            try? JobFiles.write(workers.map { "\($0.pid)\n" }.joined(), to: layout.started)
            return SupervisedJob(
                layout: layout, job: job, cgroups: cgroups, workers: workers, output: output, startedAt: startedAt)
        } catch {
            // Workers already started must not run on without a supervisor watching them.
            if !workers.isEmpty { try? cgroups.kill() }
            _ = Subreaper.reapEnded()
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
}
