import Foundation
import Platform
import PlatformTesting
import Testing

/// Jobs through compute's API on a node whose agent runs the slurm executor against the test
/// cluster: the same states, logs and outputs as on a local node, Slurm doing the placing.
@Suite("Compute jobs on a Slurm node", .serialized, .timeLimit(.minutes(4)))
struct SlurmJobTests {
    static let queue = "slurm"

    /// The shared platform with the suite's slurm node (one, on its own queue) online.
    func cluster(_ token: String) async throws -> ComputeCluster {
        try await SlurmNode.shared.start()
        let cluster = try ComputeCluster.shared()
        try await cluster.waitForNode(queue: Self.queue, token: token)
        return cluster
    }

    @Test("a job runs as a Slurm batch job: ::mlex lines and logs reach its run, outputs come back")
    func jobLifecycle() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try await cluster(owner.token)
        let script = """
            import os
            print("::mlex metric loss 0.5 1", flush=True)
            print("under slurm as", os.getuid(), "in", os.getcwd(), flush=True)
            with open(os.path.join(os.environ["MLEX_OUTPUT_DIR"], "model.txt"), "w") as f:
                f.write("weights")
            """
        let jobID = try await cluster.submit(
            pythonJob(owner.project, script, ["queue": .string(Self.queue)]), token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(lines.contains("under slurm as 65534 in /job"), "\(lines)")
        let outputs = try await cluster.compute("GET", "/v1/jobs/\(jobID)/outputs", token: owner.token).body
        #expect(
            outputs["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["model.txt"], "\(outputs.jsonText)"
        )
    }

    @Test("two workers under Slurm all-reduce over gloo: one allocation of two tasks, lines keep their rank")
    func twoWorkers() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try await cluster(owner.token)
        let jobID = try await cluster.submit(
            pythonJob(
                owner.project, MultiWorkerJobTests.allReduce,
                [
                    "queue": .string(Self.queue), "workers": 2, "resources": ["cpus": 1, "memoryMB": 768],
                    "timeoutSeconds": 240,
                ]),
            token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token, seconds: 300)
        let entries = try await MultiWorkerJobTests.entries(cluster, jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)\n\(entries.map(\.jsonText).joined(separator: "\n"))")
        for rank in 0..<2 {
            #expect(
                entries.contains {
                    $0["rank"]?.intValue == Int64(rank)
                        && $0["message"]?.stringValue?.hasPrefix("rank \(rank) of 2 local \(rank) master ") == true
                        && $0["message"]?.stringValue?.hasSuffix(" sum 3.0") == true
                }, "rank \(rank): \(entries.map(\.jsonText))")
        }
        let runID = try #require(job["runId"]?.stringValue)
        let history = try await MultiWorkerJobTests.history(
            cluster, run: runID, key: "allreduced", token: owner.token)
        #expect(history.map { $0["value"]?.numberValue } == [3], "one point, rank 0's")
    }

    @Test("Slurm enforces the limits: past memory is oom_killed, a timeout ends it, cancel scancels it")
    func limits() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try await cluster(owner.token)
        let slurm: [String: JSONValue] = ["queue": .string(Self.queue)]
        let hog = try await cluster.submit(
            pythonJob(
                owner.project, "b = bytearray(400 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1",
                slurm.merging(["resources": ["cpus": 0.5, "memoryMB": 64]]) { $1 }), token: owner.token)
        let oom = try await cluster.finished(hog, token: owner.token)
        #expect(oom["state"] == "failed" && oom["reason"] == "oom_killed", "\(oom.jsonText)")
        let slow = try await cluster.submit(
            pythonJob(owner.project, "import time\ntime.sleep(600)", slurm.merging(["timeoutSeconds": 2]) { $1 }),
            token: owner.token)
        let timedOut = try await cluster.finished(slow, token: owner.token)
        #expect(timedOut["state"] == "timed_out", "\(timedOut.jsonText)")
        let cancelled = try await cluster.submit(
            pythonJob(owner.project, "import time\ntime.sleep(600)", slurm), token: owner.token)
        _ = try await cluster.waitFor(cancelled, ["running"], token: owner.token)
        #expect(try await cluster.compute("POST", "/v1/jobs/\(cancelled)/cancel", token: owner.token).status == 202)
        let killed = try await cluster.finished(cancelled, token: owner.token)
        #expect(killed["state"] == "cancelled", "\(killed.jsonText)")
    }

    @Test("a slurm agent SIGKILLed mid-job and restarted re-attaches to the Slurm job; every line arrives once")
    func restartReattaches() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try ComputeCluster.shared()
        let state = try temporaryDirectory()
        let first = try SlurmNode.startAgent(queue: "slurm-restart", state: state)
        try await cluster.waitForNode(queue: "slurm-restart", token: owner.token)
        let spec = pythonJob(
            owner.project, "import time\nprint('before', flush=True)\ntime.sleep(4)\nprint('after', flush=True)",
            ["queue": "slurm-restart"])
        let jobID = try await cluster.submit(spec, token: owner.token)
        _ = try await cluster.waitFor(jobID, ["running"], token: owner.token)
        kill(first, SIGKILL)
        var status: Int32 = 0
        waitpid(first, &status, 0)
        let restarted = Date()
        let second = try SlurmNode.startAgent(queue: "slurm-restart", state: state)
        defer { kill(second, SIGTERM) }
        try await cluster.waitForNode(queue: "slurm-restart", since: restarted, token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(lines.filter { $0 == "before" }.count == 1 && lines.filter { $0 == "after" }.count == 1, "\(lines)")
    }
}

/// Starts the suite's slurm agent once (stopped at exit by pid), on the test cluster's
/// `debug` partition.
actor SlurmNode {
    static let shared = SlurmNode()
    private var started: Result<Void, any Error>?

    func start() async throws {
        if let started { return try started.get() }
        do {
            stopAtExit(try Self.startAgent(queue: SlurmJobTests.queue, state: try temporaryDirectory()))
            started = .success(())
        } catch {
            started = .failure(error)
            throw error
        }
    }

    /// An agent process with the slurm executor on the test cluster's `debug` partition; its pid.
    static func startAgent(queue: String, state: URL) throws -> pid_t {
        let slurm = try SlurmTestCluster.shared.get()
        return try ComputeCluster.shared().platform.startAgent(
            queue: queue, state: state,
            node: .init(
                cpus: ComputeCluster.nodeCPUs, memoryMB: ComputeCluster.nodeMemoryMB,
                pidsLimit: ComputeCluster.pidsLimit),
            environment: [
                "MLEX_AGENT_EXECUTOR": "slurm", "MLEX_AGENT_SLURM_CONF": slurm.configFile.path,
                "MLEX_AGENT_SLURM_PARTITION": "debug",
            ])
    }
}
