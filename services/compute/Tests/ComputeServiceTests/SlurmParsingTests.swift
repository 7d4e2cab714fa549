import ComputeExecutors
import ComputeSlurm
import Foundation
import Testing

/// The Slurm executor's pure parts: what it reads from Slurm's commands and the script it submits.
@Suite("Slurm executor: parsing and the batch script")
struct SlurmParsingTests {
    static let scontrolLine =
        "JobId=12 JobName=mlex-abc UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901749 Nice=0 "
        + "Account=(null) QOS=(null) JobState=OUT_OF_MEMORY Reason=OutOfMemory Dependency=(null) Requeue=0 "
        + "Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:125 RunTime=00:00:02 TimeLimit=UNLIMITED "
        + "Command=/var/lib/mlex jobs/abc/job.sbatch WorkDir=/var/lib/mlex TRES=cpu=1,mem=100M,node=1,billing=1"

    @Test("scontrol show job -o: state, reason, exit code and values with spaces")
    func parsesScontrol() throws {
        let info = try #require(SlurmJobInfo.parse(Self.scontrolLine + "\n"))
        #expect(info.jobId == "12")
        #expect(info.state == SlurmState("OUT_OF_MEMORY"))
        #expect(info.reason == "OutOfMemory")
        #expect(info.exitCode == 0)
        #expect(info.exitSignal == 125)
        #expect(info.fields["Command"] == "/var/lib/mlex jobs/abc/job.sbatch")
        #expect(info.fields["TRES"] == "cpu=1,mem=100M,node=1,billing=1")
        #expect(SlurmJobInfo.parse("slurm_load_jobs error: Invalid job id specified") == nil)
        let completed = try #require(SlurmJobInfo.parse("JobId=3 JobState=COMPLETED Reason=None ExitCode=0:0"))
        #expect(completed.reason == nil)
    }

    @Test(
        "every Slurm state has a phase",
        arguments: [
            ("PENDING", SlurmState.Phase.queued), ("CONFIGURING", .queued), ("REQUEUE_HOLD", .queued),
            ("RUNNING", .running), ("COMPLETING", .running), ("SUSPENDED", .running), ("REQUEUED", .running),
            ("COMPLETED", .ended), ("FAILED", .ended), ("CANCELLED", .ended), ("TIMEOUT", .ended),
            ("OUT_OF_MEMORY", .ended), ("NODE_FAIL", .ended), ("PREEMPTED", .ended), ("BOOT_FAIL", .ended),
            ("DEADLINE", .ended), ("cancelled by 0", .ended),
        ])
    func phases(state: String, phase: SlurmState.Phase) {
        #expect(SlurmState(state).phase == phase)
    }

    @Test("ended states map onto the executors' exit reasons")
    func outcomes() throws {
        func reason(
            _ state: String, code: Int32? = 0, signal: Int32? = 0, timedOut: Bool = false, cancelled: Bool = false,
            diskFull: Bool = false
        ) -> ExitReason? {
            SlurmState(state).outcome(
                exitCode: code, signal: signal, reason: nil, timedOut: timedOut, cancelled: cancelled,
                diskFull: diskFull, timeoutSeconds: 10)?.reason
        }
        #expect(reason("RUNNING") == nil)
        #expect(reason("COMPLETED") == .exited)
        #expect(reason("FAILED", code: 3) == .exited)
        #expect(
            SlurmState("FAILED").outcome(
                exitCode: 3, signal: 0, reason: "NonZeroExitCode", timedOut: false, cancelled: false, diskFull: false,
                timeoutSeconds: nil)?.exitCode == 3)
        #expect(reason("FAILED", code: 137) == .signaled)
        #expect(reason("FAILED", code: 137, timedOut: true) == .timedOut)
        #expect(reason("FAILED", code: 1, diskFull: true) == .diskLimit)
        #expect(reason("OUT_OF_MEMORY", code: 137) == .oomKilled)
        #expect(reason("TIMEOUT", signal: 15) == .timedOut)
        #expect(reason("DEADLINE") == .timedOut)
        #expect(reason("CANCELLED", signal: 15) == .cancelled)
        #expect(reason("OUT_OF_MEMORY", cancelled: true) == .cancelled)
        #expect(reason("BOOT_FAIL") == .startFailed)
        #expect(reason("NODE_FAIL") == .supervisorLost)
        #expect(reason("PREEMPTED") == .supervisorLost)
    }

    @Test("sinfo: a partition's capacity, each node once, unusable nodes left out")
    func capacity() {
        let text = """
            vm|2|23081|(null)|idle
            vm|2|23081|(null)|idle
            gpu1|32|256000|gpu:a100:4(S:0-1)|mixed
            gpu2|32|256000+|gpu:2,gpu:t4:1|allocated
            old|8|16000|(null)|drained
            lost|8|16000|(null)|idle*
            """
        #expect(
            SlurmCapacity.parse(text) == SlurmCapacity(nodes: 3, cpus: 66, memoryMB: 535_081, gpus: 7))
        #expect(SlurmCapacity.defaultPartition("debug*\nbatch\n") == "debug")
        #expect(SlurmCapacity.defaultPartition("batch\n") == nil)
    }

    @Test("sstat: CPU time and memory summed over the steps")
    func usage() throws {
        let text = """
            7.batch|cpu=00:01:05,energy=0,fs/disk=2304,mem=211788K,pages=0,vmem=300M|211788K|1
            7.0|cpu=1-00:00:01.500,mem=1M|2M|2
            """
        let usage = try #require(SlurmUsage.parse(text))
        #expect(usage.cpuSeconds == 65 + 86_401.5)
        #expect(usage.memoryBytes == 211_788 * 1024 + 1_048_576)
        #expect(usage.memoryPeakBytes == 211_788 * 1024 + 2 * 1_048_576)
        #expect(usage.pids == 3)
        #expect(SlurmUsage.parse("") == nil)
    }

    @Test("the batch script: limits as directives, the sandbox quoted, markers around it")
    func script() {
        let script = SlurmBatchScript(
            jobId: "job-1", directory: URL(fileURLWithPath: "/state/jobs/job-1"),
            sandbox: ["/usr/bin/bwrap", "--", "python3", "-c", "print('it''s')"],
            limits: ResourceLimits(cpus: 0.5, memoryMB: 300, pids: 64), timeoutSeconds: 90, partition: "debug")
        let text = script.text
        #expect(text.hasPrefix("#!/bin/bash\n"))
        for line in [
            "#SBATCH --output=/state/jobs/job-1/log", "#SBATCH --cpus-per-task=1", "#SBATCH --mem=300M",
            "#SBATCH --partition=debug", "#SBATCH --time=3", "#SBATCH --no-requeue",
            "timeout --signal=KILL 90 '/usr/bin/bwrap' '--' 'python3' '-c' 'print('\\''it'\\'''\\''s'\\'')'",
            "echo \"$status\" > \"$dir/exit\"",
        ] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "missing: \(line)")
        }
        let untimed = SlurmBatchScript(
            jobId: "job-2", directory: URL(fileURLWithPath: "/j"), sandbox: ["true"],
            limits: ResourceLimits(cpus: 2, memoryMB: 100, pids: 64), timeoutSeconds: nil, partition: "")
        #expect(
            !untimed.text.contains("--time") && !untimed.text.contains("--partition")
                && !untimed.text.contains("timeout"))
        #expect(untimed.text.contains("#SBATCH --cpus-per-task=2\n"))
    }

    @Test("the batch script runs: a quoted command's status reaches the exit file")
    func scriptRuns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-script-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = SlurmBatchScript(
            jobId: "x", directory: directory, sandbox: ["/bin/sh", "-c", "echo \"it's $0\"; exit 3", "a b"],
            limits: ResourceLimits(cpus: 1, memoryMB: 100, pids: 64), timeoutSeconds: 30, partition: "")
        let file = directory.appendingPathComponent("job.sbatch")
        try script.text.write(to: file, atomically: true, encoding: .utf8)
        let began = ContinuousClock.now
        // SlurmCommands' posix_spawn and waitpid: Foundation's Process.waitUntilExit can hang here.
        #expect {
            _ = try SlurmCommands().run("/bin/bash", [file.path])
        } throws: { error in
            guard let failure = error as? SlurmCommands.Failure else { return false }
            return failure.status == 3 && failure.output == "it's a b"
        }
        // Nothing of the script lingers once the job ended (it would hold the log open).
        #expect(ContinuousClock.now - began < .seconds(5))
        #expect(try String(contentsOf: directory.appendingPathComponent("exit"), encoding: .utf8) == "3\n")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("started").path))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("timeout").path))
    }
}
