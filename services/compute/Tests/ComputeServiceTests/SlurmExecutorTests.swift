import ComputeExecutors
import ComputeSlurm
import Foundation
import PlatformTesting
import Testing

/// The Slurm executor against the real test cluster (`SlurmTestCluster`): jobs run as Slurm
/// batch jobs inside the same sandbox as local jobs, and Slurm's ends arrive as our reasons.
/// Serialized: the one-node cluster has two CPUs, and a job kept pending would blur timings.
/// Each test removes its job, so no job disk stays mounted after the suite.
@Suite("Slurm executor against a real cluster", .serialized, .timeLimit(.minutes(5)))
struct SlurmExecutorTests {
    let cluster: SlurmTestCluster
    let executor: SlurmExecutor

    init() throws {
        cluster = try SlurmTestCluster.shared.get()
        executor = try cluster.executor()
    }

    /// Prepares and launches `script` (sh) as a job; its directories.
    @discardableResult
    func launch(
        _ jobId: String, _ script: String, memoryMB: Int = 128, timeoutSeconds: Int? = nil,
        executor: SlurmExecutor? = nil
    ) async throws -> JobDirectories {
        let executor = executor ?? self.executor
        let directories = try await executor.prepare(jobId: jobId, diskMB: 64)
        try script.write(to: directories.work.appendingPathComponent("job.sh"), atomically: true, encoding: .utf8)
        try await executor.launch(
            SandboxJob(
                jobId: jobId, command: ["/bin/sh", "job.sh"], environment: ["GREETING": "hello"],
                limits: ResourceLimits(cpus: 1, memoryMB: memoryMB, pids: 64, diskMB: 64),
                timeoutSeconds: timeoutSeconds))
        return directories
    }

    /// The job's log so far; a message of failing expectations, so it never throws.
    func log(_ jobId: String) -> String {
        String(decoding: (try? executor.readLog(of: jobId, from: 0, limit: 1 << 20).bytes) ?? [], as: UTF8.self)
    }

    @Test("a job runs in the sandbox under Slurm: its log and outputs arrive")
    func jobRuns() async throws {
        let id = "slurm-ok-\(UInt32.random(in: 0...UInt32.max))"
        let directories = try await launch(
            id,
            """
            echo "$GREETING from $(id -u) in $(pwd)"
            grep -o 'job_[0-9]*' /proc/self/cgroup | head -1 || echo no-cgroup-visible
            echo result > "$MLEX_OUTPUT_DIR/result.txt"
            ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 && echo network || echo no-network
            exit 0
            """)
        let result = await executor.wait(for: id)
        #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log(id))")
        let text = log(id)
        #expect(text.contains("hello from 65534 in /job"), "\(text)")
        #expect(
            try String(contentsOf: directories.output.appendingPathComponent("result.txt"), encoding: .utf8)
                == "result\n")
        #expect(try executor.knownJobs().contains(id))
        try executor.remove(id)
        #expect(try !executor.knownJobs().contains(id))
    }

    @Test("a failing job ends exited with its code")
    func jobFails() async throws {
        let id = "slurm-fail-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(id, "echo failing; exit 3")
        let result = await executor.wait(for: id)
        #expect(result.reason == .exited && result.exitCode == 3, "\(result)")
        try executor.remove(id)
    }

    @Test("a job over its memory ends oom_killed (Slurm's cgroup, OUT_OF_MEMORY)")
    func overMemory() async throws {
        let id = "slurm-oom-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(
            id, "python3 -c \"x = b'x' * (400 * 1024 * 1024); print(len(x))\"; sleep 1", memoryMB: 100)
        let result = await executor.wait(for: id)
        #expect(result.reason == .oomKilled, "\(result) \(log(id))")
        try executor.remove(id)
    }

    @Test("a job over its time ends timed_out at its second, not Slurm's minute")
    func overTime() async throws {
        let id = "slurm-time-\(UInt32.random(in: 0...UInt32.max))"
        let began = ContinuousClock.now
        try await launch(id, "echo started; sleep 120", timeoutSeconds: 3)
        let result = await executor.wait(for: id)
        #expect(result.reason == .timedOut, "\(result) \(log(id))")
        #expect(ContinuousClock.now - began < .seconds(30))
        try executor.remove(id)
    }

    @Test("cancel scancels: the job ends cancelled; usage is measured while it runs")
    func cancel() async throws {
        let id = "slurm-cancel-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(id, "echo waiting; while :; do :; done")
        #expect(executor.result(of: id) == nil)
        var usage: ResourceUsageSample?
        for _ in 0..<40 where usage == nil {
            usage = executor.usage(of: id).map { ResourceUsageSample(memoryBytes: $0.memoryBytes) }
            if usage == nil { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(usage != nil, "sstat gave no usage")
        try await executor.cancel(id)
        let result = await executor.wait(for: id)
        #expect(result.reason == .cancelled, "\(result)")
        try executor.remove(id)
    }

    @Test("a new executor on the same root follows a job an earlier one submitted")
    func reattach() async throws {
        let id = "slurm-attach-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(id, "sleep 2; echo finished")
        let later = try SlurmExecutor(
            root: executor.root, commands: SlurmCommands(environment: cluster.environment), partition: "debug")
        later.attach(id)
        #expect(later.result(of: id) == nil)
        let result = await later.wait(for: id)
        #expect(result.reason == .exited && result.exitCode == 0, "\(result)")
        #expect(
            String(decoding: try later.readLog(of: id, from: 0, limit: 4096).bytes, as: UTF8.self).contains("finished"))
        try later.remove(id)
    }

    @Test("capacity is the partition's, from sinfo")
    func capacity() throws {
        let capacity = try executor.capacity()
        #expect(capacity.nodes == 1 && capacity.cpus == cluster.cpus && capacity.memoryMB == cluster.memoryMB)
    }
}

/// What the cancel test keeps of a usage sample.
struct ResourceUsageSample {
    let memoryBytes: Int
}
