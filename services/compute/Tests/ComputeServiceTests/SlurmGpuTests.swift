import ComputeExecutors
import ComputeSlurm
import Foundation
import Platform
import PlatformTesting
import Testing

/// GPUs on the slurm executor: a job's GPUs are Slurm's gres, so Slurm places the job where they
/// are free and names its devices, and the sandbox sees the CUDA_VISIBLE_DEVICES Slurm set. The
/// test cluster's node has two GPUs that exist only in Slurm's books (a gres of two device
/// files that are not GPUs, see apps/run/slurm-cluster.sh): enough for Slurm to count, allocate
/// and name them. Serialized: the node has two of them, which one job of two workers takes.
@Suite("Slurm executor: GPUs as gres", .serialized, .timeLimit(.minutes(5)))
struct SlurmGpuTests {
    let cluster: SlurmTestCluster
    let executor: SlurmExecutor

    init() throws {
        cluster = try SlurmTestCluster.shared.get()
        executor = try cluster.executor()
    }

    /// Prints what a worker sees of its GPUs. The job's own CUDA_VISIBLE_DEVICES (the agent's,
    /// from the scheduler's ids) is "agent-ids": Slurm's must replace it.
    static let printGPUs = "echo \"rank=$RANK cuda=${CUDA_VISIBLE_DEVICES-unset}\""

    func launch(_ jobId: String, workers: Int = 1, gpus: Int, _ script: String = printGPUs) async throws {
        let directories = try await executor.prepare(jobId: jobId, diskMB: 64)
        try script.write(to: directories.work.appendingPathComponent("job"), atomically: true, encoding: .utf8)
        try await executor.launch(
            SandboxJob(
                jobId: jobId, command: ["/bin/sh", "job"], environment: ["CUDA_VISIBLE_DEVICES": "agent-ids"],
                limits: ResourceLimits(cpus: 1, memoryMB: 128, pids: 64, diskMB: 64, gpus: gpus), workers: workers))
    }

    func file(_ jobId: String, _ name: String) -> String {
        (try? String(
            contentsOf: executor.root.appendingPathComponent(jobId).appendingPathComponent(name), encoding: .utf8))
            ?? ""
    }

    func log(_ jobId: String) -> String {
        String(decoding: (try? executor.readLog(of: jobId, from: 0, limit: 1 << 20).bytes) ?? [], as: UTF8.self)
    }

    /// `scontrol show job --details --oneliner`: what the job asked (`TresPerNode=gres:gpu:1`) and,
    /// per node, the gres it holds with their indexes (`GRES=gpu:1(IDX:0)`).
    func slurmJob(_ jobId: String) throws -> String {
        let id = file(jobId, "slurm-job-id").trimmingCharacters(in: .whitespacesAndNewlines)
        return try cluster.run("scontrol", ["show", "job", "--details", "--oneliner", id]).output
    }

    /// The device indexes of `GRES=gpu:<n>(IDX:<list>)`, expanded: "0-1" → "0,1".
    static func indexes(in details: String) -> String? {
        guard let range = details.range(of: #"\(IDX:[0-9,-]+\)"#, options: .regularExpression) else { return nil }
        let list = details[range].dropFirst(5).dropLast()
        return list.split(separator: ",").flatMap { item -> [String] in
            let bounds = item.split(separator: "-").compactMap { Int($0) }
            return bounds.count == 2 ? (bounds[0]...bounds[1]).map(String.init) : bounds.map(String.init)
        }.joined(separator: ",")
    }

    @Test("the partition offers the node's two GPUs (sinfo's gres)")
    func capacity() throws {
        #expect(try executor.capacity().gpus == 2)
    }

    @Test("a one-worker job asks --gres=gpu:1; Slurm allocates it and the sandbox sees the device Slurm named")
    func oneWorker() async throws {
        let id = "slurm-gpu-one-\(UInt32.random(in: 0...UInt32.max))"
        // Running for a while: Slurm shows a job's devices (IDX) only while it holds them.
        try await launch(id, gpus: 1, Self.printGPUs + "\nsleep 2\n")
        let details = try slurmJob(id)
        let result = await executor.wait(for: id)
        let text = log(id)
        #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(text)")
        #expect(file(id, "job.sbatch").contains("#SBATCH --gres=gpu:1\n"))
        #expect(details.contains("TresPerNode=gres:gpu:1") && details.contains("GRES=gpu:1("), "\(details)")
        let devices = try #require(Self.indexes(in: details), "\(details)")
        #expect(text == "rank=0 cuda=\(devices)\n", "\(text) \(details)")
        try executor.remove(id)
    }

    @Test("two workers ask --gpus-per-task=1: two GPUs for the job, each worker sees its own")
    func twoWorkers() async throws {
        let id = "slurm-gpu-two-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(id, workers: 2, gpus: 1, Self.printGPUs + "\nsleep 2\n")
        let details = try slurmJob(id)
        let result = await executor.wait(for: id)
        let text = log(id)
        #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(text) \(file(id, "batch.log"))")
        let script = file(id, "job.sbatch")
        #expect(
            script.contains("#SBATCH --gpus-per-task=1\n")
                && script.contains("'--gpus-per-task=1' '--open-mode=append'"))
        #expect(details.contains("TresPerTask=gres:gpu:1") && details.contains("GRES=gpu:2(IDX:0-1)"), "\(details)")
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines == ["0: rank=0 cuda=0", "1: rank=1 cuda=1"], "\(text)")
        try executor.remove(id)
    }

    @Test("a job of no GPUs asks none and keeps the job's own CUDA_VISIBLE_DEVICES")
    func noGPUs() async throws {
        let id = "slurm-gpu-none-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(id, gpus: 0)
        let result = await executor.wait(for: id)
        #expect(result.reason == .exited && result.exitCode == 0, "\(result)")
        #expect(!file(id, "job.sbatch").contains("--gres") && !file(id, "job.sbatch").contains("--gpus"))
        #expect(log(id) == "rank=0 cuda=agent-ids\n", "\(log(id))")
        try executor.remove(id)
    }

    @Test("more GPUs than the partition has: sbatch refuses, the launch fails start_failed saying why")
    func tooMany() async throws {
        let id = "slurm-gpu-many-\(UInt32.random(in: 0...UInt32.max))"
        await #expect {
            try await launch(id, gpus: 3)
        } throws: { error in
            guard let error = error as? ExecutorError else { return false }
            return error.code == .startFailed && error.message.contains("Requested node configuration is not available")
        }
        try executor.remove(id)
    }
}

/// The batch script's GPU lines, no cluster needed.
@Suite("Slurm executor: GPUs in the batch and worker scripts")
struct SlurmGpuScriptTests {
    static let sandbox = [
        "/usr/bin/bwrap", "--setenv", "CUDA_VISIBLE_DEVICES", "agent-ids", "--setenv", "RANK", "0", "--",
        "/usr/bin/setpriv", "--", "/bin/echo", "--setenv", "CUDA_VISIBLE_DEVICES", "x",
    ]

    func script(workers: Int, gpus: Int) -> SlurmBatchScript {
        SlurmBatchScript(
            jobId: "j", directory: URL(fileURLWithPath: "/jobs/j"), sandbox: Self.sandbox,
            limits: ResourceLimits(cpus: 2, memoryMB: 100, pids: 64, gpus: gpus), timeoutSeconds: nil,
            partition: "", workers: workers)
    }

    @Test("one worker: --gres=gpu:<g>, and the sandbox gets Slurm's CUDA_VISIBLE_DEVICES")
    func oneWorker() {
        let text = script(workers: 1, gpus: 2).text
        #expect(text.contains("#SBATCH --gres=gpu:2\n") && !text.contains("--gpus-per-task"), "\(text)")
        #expect(
            text.contains(
                "'/usr/bin/bwrap' '--setenv' 'CUDA_VISIBLE_DEVICES' \"${CUDA_VISIBLE_DEVICES-}\" '--setenv' 'RANK' '0'"
                    + " '--' '/usr/bin/setpriv' '--' '/bin/echo' '--setenv' 'CUDA_VISIBLE_DEVICES' 'x'\n"), "\(text)")
    }

    @Test("several workers: --gpus-per-task for sbatch and srun; worker.sh expands Slurm's devices")
    func severalWorkers() {
        let text = script(workers: 3, gpus: 1).text
        #expect(text.contains("#SBATCH --gpus-per-task=1\n") && !text.contains("--gres"), "\(text)")
        #expect(
            text.contains("'--cpus-per-task=2' '--gpus-per-task=1' '--open-mode=append'"),
            "\(text)")
        let worker = SlurmWorkerScript(
            directory: URL(fileURLWithPath: "/jobs/j"), sandbox: Self.sandbox, memoryMB: 100, gpus: 1
        ).text
        #expect(
            worker.contains(
                "'--setenv' 'CUDA_VISIBLE_DEVICES' \"${CUDA_VISIBLE_DEVICES-}\" '--setenv' 'RANK' \"$SLURM_PROCID\""),
            "\(worker)")
    }

    @Test("no GPUs: no gres, and the job's own value stays")
    func none() {
        for workers in [1, 2] {
            let text = script(workers: workers, gpus: 0).text
            #expect(!text.contains("gpu") && text.contains("'CUDA_VISIBLE_DEVICES' 'agent-ids'") == (workers == 1))
        }
        let worker = SlurmWorkerScript(directory: URL(fileURLWithPath: "/j"), sandbox: Self.sandbox, memoryMB: 1).text
        #expect(worker.contains("'--setenv' 'CUDA_VISIBLE_DEVICES' 'agent-ids'"))
    }

    @Test("a job.json of before GPUs decodes with none")
    func oldJobFile() throws {
        let limits = try JSONDecoder().decode(
            ResourceLimits.self, from: Data(#"{"cpus": 1, "memoryMB": 64, "pids": 10, "diskMB": 5}"#.utf8))
        #expect(limits == ResourceLimits(cpus: 1, memoryMB: 64, pids: 10, diskMB: 5, gpus: 0))
        let again = try JSONDecoder().decode(
            ResourceLimits.self, from: JSONEncoder().encode(ResourceLimits(cpus: 1, memoryMB: 64, pids: 10, gpus: 2)))
        #expect(again.gpus == 2)
    }
}

/// GPU jobs through compute's API on a slurm agent that offers the partition's two GPUs (no
/// `mlex.agent.gpus`: the agent counts the partition's gres): the scheduler counts them, Slurm
/// allocates them.
@Suite("Compute jobs with GPUs on a Slurm node", .serialized, .timeLimit(.minutes(4)))
struct SlurmGpuJobTests {
    static let queue = "slurm-gpu"

    @Test("a job of one GPU runs with the device Slurm gave it; more GPUs than the node has is compute's 422")
    func gpuJobs() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try ComputeCluster.shared()
        let agent = try SlurmNode.startAgent(queue: Self.queue, state: try temporaryDirectory())
        defer { kill(agent, SIGTERM) }
        try await cluster.waitForNode(queue: Self.queue, token: owner.token)
        func spec(gpus: Int) -> JSONValue {
            pythonJob(
                owner.project, "import os\nprint('cuda', os.environ.get('CUDA_VISIBLE_DEVICES'), flush=True)",
                ["queue": .string(Self.queue), "resources": ["cpus": 0.5, "memoryMB": 256, "gpus": .int(Int64(gpus))]])
        }
        let jobID = try await cluster.submit(spec(gpus: 1), token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(lines.contains("cuda 0") || lines.contains("cuda 1"), "\(lines)")
        let tooMany = try await cluster.compute("POST", "/v1/jobs", spec(gpus: 3), token: owner.token)
        #expect(tooMany.status == 422, "\(tooMany.body.jsonText)")
    }
}
