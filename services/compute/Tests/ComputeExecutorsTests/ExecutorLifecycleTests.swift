import ComputeDocker
import ComputeExecutors
import Foundation
import Glibc
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ExecutorLifecycleTests {
    @Test(arguments: Backend.allCases) func echoExitsZeroAndTheLogHoldsItsOutput(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let (result, log, _) = try await run(
                harness, ["/bin/sh", "-c", "echo hello from the sandbox; echo to stderr >&2"])
            #expect(result.reason == .exited)
            #expect(result.exitCode == 0)
            #expect(log.contains("hello from the sandbox"))
            #expect(log.contains("to stderr"))
            // Docker's stats arrive once a second: a job this short may end before the first.
            if backend == .local { #expect(result.usage != nil) }
        }
    }

    @Test(arguments: Backend.allCases) func exitCodeIsReported(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let (result, _, _) = try await run(harness, ["/bin/sh", "-c", "exit 3"])
            #expect(result.reason == .exited)
            #expect(result.exitCode == 3)
        }
    }

    @Test(arguments: Backend.allCases) func codeInWorkRunsAndFilesWrittenToOutputAppearOnTheHost(
        _ backend: Backend
    ) async throws {
        try await withExecutor(backend) { harness in
            let (result, log, directories) = try await run(harness, ["/usr/bin/python3", "main.py"]) { directories in
                let program = """
                    import os
                    with open(os.path.join(os.environ["MLEX_OUTPUT_DIR"], "model.txt"), "w") as f:
                        f.write("weights " + os.getcwd())
                    print("wrote output")
                    """
                try program.write(
                    to: directories.work.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
            }
            #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log)")
            let written = try String(
                contentsOf: directories.output.appendingPathComponent("model.txt"), encoding: .utf8)
            #expect(written == "weights /job")
        }
    }

    @Test(arguments: Backend.allCases) func cancelEndsARunningJobAndRemovesItsCgroups(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let executor = harness.executor
            let (jobId, _) = try await start(harness, ["/bin/sh", "-c", "sleep 600 & sleep 600"])
            #expect(executor.result(of: jobId) == nil)
            #expect(try await eventually { executor.usage(of: jobId) != nil })

            try await executor.cancel(jobId)
            let result = try await finish(executor, jobId)
            #expect(result.reason == .cancelled)
            #expect(executor.usage(of: jobId) == nil)
            #expect(try await eventually { try await !harness.leftovers(of: jobId) })
        }
    }

    @Test(arguments: Backend.allCases) func cancelKillsAJobThatKeepsForking(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let executor = harness.executor
            let limits = ResourceLimits(cpus: 1, memoryMB: 256, pids: 32)
            // Python, not sh: dash exits at its first failed fork, which would end the job early.
            let forever =
                "import os, time\nwhile True:\n    try:\n        if os.fork() == 0:\n            time.sleep(600)\n            os._exit(0)\n    except OSError:\n        time.sleep(0.01)"
            let (jobId, _) = try await start(harness, ["/usr/bin/python3", "-c", forever], limits: limits)
            #expect(try await eventually { (executor.usage(of: jobId)?.pids ?? 0) >= 16 })

            try await executor.cancel(jobId)
            #expect(try await finish(executor, jobId).reason == .cancelled)
            #expect(try await eventually { try await !harness.leftovers(of: jobId) })
        }
    }

    @Test func aJobWhoseSupervisorDiedIsReportedLostAndCanBeRemoved() async throws {
        try await withExecutor(.local) { harness in
            let executor = harness.executor
            let (jobId, _) = try await start(harness, ["/bin/sleep", "600"])
            let pidFile = harness.root.appendingPathComponent(jobId).appendingPathComponent("supervisor.pid")
            let supervisor = try #require(
                pid_t(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(kill(supervisor, SIGKILL) == 0)

            #expect(try await eventually { executor.result(of: jobId) != nil })
            #expect(executor.result(of: jobId)?.reason == .supervisorLost)
            try executor.remove(jobId)
            // No process of the job survives; its emptied cgroups may linger until the host's
            // init reaps the orphaned zombies (see JobCgroups.remove).
            let cgroups = try CgroupHierarchy.detect().cgroups(for: jobId)
            #expect(try await eventually { cgroups.processIDs().allSatisfy(JobCgroups.isZombie) })
            #expect(!FileManager.default.fileExists(atPath: harness.root.appendingPathComponent(jobId).path))
        }
    }

    @Test(arguments: Backend.allCases) func aJobPastItsTimeoutIsKilled(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let (result, _, _) = try await run(harness, ["/bin/sleep", "600"], timeoutSeconds: 1)
            #expect(result.reason == .timedOut)
        }
    }

    @Test(arguments: Backend.allCases) func aNewExecutorOnTheSameRootReattachesToARunningJob(
        _ backend: Backend
    ) async throws {
        try await withExecutor(backend) { harness in
            // The job ends only when the test says so (a file in /job), never because a clock ran
            // out while a busy machine was still re-attaching.
            let (jobId, _) = try await start(
                harness, ["/bin/sh", "-c", "echo before; while [ ! -e /job/go ]; do sleep 0.05; done; echo done"])
            for _ in 0..<600 where (try? fullLog(harness.executor, jobId)) != "before\n" {
                try await Task.sleep(for: .milliseconds(50))
            }
            // As after an agent restart: the first executor's process is gone (its followers
            // stop), nothing is shared but the directory and the daemon.
            (harness.executor as? DockerExecutor)?.stopFollowing()
            let second = try await harness.reopened().executor
            #expect(try second.knownJobs() == [jobId])
            #expect(second.result(of: jobId) == nil)
            #expect(
                FileManager.default.createFile(
                    atPath: JobLayout(root: harness.root, jobId: jobId).work.appendingPathComponent("go").path,
                    contents: nil))
            let result = try await finish(second, jobId)
            #expect(result.reason == .exited)
            #expect(result.exitCode == 0)
            // Every line once: a re-attached follower does not copy the log again.
            #expect(try fullLog(second, jobId) == "before\ndone\n")
        }
    }

    @Test(arguments: Backend.allCases) func aRemovedJobIsGone(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let executor = harness.executor
            let (jobId, _) = try await start(harness, ["/bin/true"])
            _ = try await finish(executor, jobId)
            #expect(hasMounts(jobId), "the disk outlives the job, for its outputs to be read")
            try executor.remove(jobId)
            #expect(try executor.knownJobs().isEmpty)
            #expect(!hasMounts(jobId), "its disk is unmounted")
            #expect(!FileManager.default.fileExists(atPath: harness.root.appendingPathComponent(jobId).path))
        }
    }

    /// The executor never runs a job whose work and output are plain host directories: it
    /// would write without limit.
    @Test(arguments: Backend.allCases) func aJobWithoutItsDiskIsRefused(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let jobId = newJobId()
            let directories = try await harness.executor.prepare(jobId: jobId, diskMB: roomyLimits.diskMB)
            let disk = directories.work.deletingLastPathComponent()
            #expect(umount(disk.path) == 0)
            for directory in [directories.work, directories.output] {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                #expect(chown(directory.path, 65534, 65534) == 0)
            }
            let job = SandboxJob(jobId: jobId, command: ["/bin/true"], limits: roomyLimits, image: harness.image)
            let error = await #expect(throws: ExecutorError.self) { try await harness.executor.launch(job) }
            #expect(error?.code == .diskUnavailable, "\(String(describing: error))")
        }
    }

    @Test(arguments: Backend.allCases) func launchRefusesAJobThatWouldExposeTheExecutorRoot(
        _ backend: Backend
    ) async throws {
        try await withExecutor(backend) { harness in
            let executor = harness.executor
            let jobId = newJobId()
            _ = try await executor.prepare(jobId: jobId, diskMB: roomyLimits.diskMB)
            let job = SandboxJob(
                jobId: jobId, command: ["/bin/true"],
                inputs: [ReadOnlyMount(hostPath: harness.root.path, sandboxPath: "/data")], limits: roomyLimits,
                image: harness.image
            )
            await #expect(throws: ExecutorError.self) { try await executor.launch(job) }
            await #expect(throws: ExecutorError.self) {
                try await executor.prepare(jobId: "../escape", diskMB: roomyLimits.diskMB)
            }
        }
    }
}
