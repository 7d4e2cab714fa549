import ComputeExecutors
import Foundation
import Glibc
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ExecutorLifecycleTests {
    @Test func echoExitsZeroAndTheLogHoldsItsOutput() async throws {
        try await withExecutor { executor in
            let (result, log, _) = try await run(executor, ["/bin/sh", "-c", "echo hello from the sandbox; echo to stderr >&2"])
            #expect(result.reason == .exited)
            #expect(result.exitCode == 0)
            #expect(log.contains("hello from the sandbox"))
            #expect(log.contains("to stderr"))
            #expect(result.usage != nil)
        }
    }

    @Test func exitCodeIsReported() async throws {
        try await withExecutor { executor in
            let (result, _, _) = try await run(executor, ["/bin/sh", "-c", "exit 3"])
            #expect(result.reason == .exited)
            #expect(result.exitCode == 3)
        }
    }

    @Test func codeInWorkRunsAndFilesWrittenToOutputAppearOnTheHost() async throws {
        try await withExecutor { executor in
            let (result, log, directories) = try await run(executor, ["/usr/bin/python3", "main.py"]) { directories in
                let program = """
                import os
                with open(os.path.join(os.environ["MLEX_OUTPUT_DIR"], "model.txt"), "w") as f:
                    f.write("weights " + os.getcwd())
                print("wrote output")
                """
                try program.write(to: directories.work.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
            }
            #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log)")
            let written = try String(contentsOf: directories.output.appendingPathComponent("model.txt"), encoding: .utf8)
            #expect(written == "weights /job")
        }
    }

    @Test func cancelEndsARunningJobAndRemovesItsCgroups() async throws {
        try await withExecutor { executor in
            let (jobId, _) = try await start(executor, ["/bin/sh", "-c", "sleep 600 & sleep 600"])
            #expect(executor.result(of: jobId) == nil)
            #expect(executor.usage(of: jobId) != nil)

            try await executor.cancel(jobId)
            let result = try await finish(executor, jobId)
            #expect(result.reason == .cancelled)
            #expect(executor.usage(of: jobId) == nil)
            #expect(try CgroupHierarchy.detect().cgroups(for: jobId).exists == false)
        }
    }

    @Test func cancelKillsAJobThatKeepsForking() async throws {
        try await withExecutor { executor in
            let limits = ResourceLimits(cpus: 1, memoryMB: 256, pids: 32)
            // Python, not sh: dash exits at its first failed fork, which would end the job early.
            let forever = "import os, time\nwhile True:\n    try:\n        if os.fork() == 0:\n            time.sleep(600)\n            os._exit(0)\n    except OSError:\n        time.sleep(0.01)"
            let (jobId, _) = try await start(executor, ["/usr/bin/python3", "-c", forever], limits: limits)
            #expect(try await eventually { (executor.usage(of: jobId)?.pids ?? 0) >= 16 })

            try await executor.cancel(jobId)
            #expect(try await finish(executor, jobId).reason == .cancelled)
            #expect(try CgroupHierarchy.detect().cgroups(for: jobId).exists == false)
        }
    }

    @Test func aJobWhoseSupervisorDiedIsReportedLostAndCanBeRemoved() async throws {
        try await withExecutor { executor in
            let (jobId, _) = try await start(executor, ["/bin/sleep", "600"])
            let pidFile = executor.root.appendingPathComponent(jobId).appendingPathComponent("supervisor.pid")
            let supervisor = try #require(pid_t(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(kill(supervisor, SIGKILL) == 0)

            #expect(try await eventually { executor.result(of: jobId) != nil })
            #expect(executor.result(of: jobId)?.reason == .supervisorLost)
            try executor.remove(jobId)
            // No process of the job survives; its emptied cgroups may linger until the host's
            // init reaps the orphaned zombies (see JobCgroups.remove).
            let cgroups = try CgroupHierarchy.detect().cgroups(for: jobId)
            #expect(try await eventually { cgroups.processIDs().allSatisfy(JobCgroups.isZombie) })
            #expect(!FileManager.default.fileExists(atPath: executor.root.appendingPathComponent(jobId).path))
        }
    }

    @Test func aJobPastItsTimeoutIsKilled() async throws {
        try await withExecutor { executor in
            let (result, _, _) = try await run(executor, ["/bin/sleep", "600"], timeoutSeconds: 1)
            #expect(result.reason == .timedOut)
        }
    }

    @Test func aNewExecutorOnTheSameRootReattachesToARunningJob() async throws {
        try await withExecutor { first in
            let (jobId, _) = try await start(first, ["/bin/sh", "-c", "sleep 2; echo done"])

            // As after an agent restart: nothing shared but the directory.
            let second = try LocalExecutor(root: first.root, supervisor: testSupervisorCommand())
            #expect(try second.knownJobs() == [jobId])
            #expect(second.result(of: jobId) == nil)
            let result = try await finish(second, jobId)
            #expect(result.reason == .exited)
            #expect(result.exitCode == 0)
            #expect(try fullLog(second, jobId).contains("done"))
        }
    }

    @Test func aRemovedJobIsGone() async throws {
        try await withExecutor { executor in
            let (jobId, _) = try await start(executor, ["/bin/true"])
            _ = try await finish(executor, jobId)
            try executor.remove(jobId)
            #expect(try executor.knownJobs().isEmpty)
        }
    }

    @Test func launchRefusesAJobThatWouldExposeTheExecutorRoot() async throws {
        try await withExecutor { executor in
            let jobId = newJobId()
            _ = try executor.prepare(jobId: jobId)
            let job = SandboxJob(
                jobId: jobId, command: ["/bin/true"],
                inputs: [ReadOnlyMount(hostPath: executor.root.path, sandboxPath: "/data")], limits: roomyLimits
            )
            await #expect(throws: ExecutorError.self) { try await executor.launch(job) }
            #expect(throws: ExecutorError.self) { try executor.prepare(jobId: "../escape") }
        }
    }
}
