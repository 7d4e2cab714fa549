import ComputeTestSupport
import Foundation
import Platform
import PlatformTesting
import Testing

/// Jobs that name an image, on a node whose agent runs the docker executor against the tests'
/// own dockerd: the same API, states, logs and outputs as on a local node.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct DockerJobTests {
    static let queue = "docker"

    /// The shared cluster with the suite's docker node (one, on its own queue) online.
    func cluster(_ token: String) async throws -> ComputeCluster {
        try await DockerNode.shared.start()
        let cluster = try ComputeCluster.shared()
        try await cluster.waitForNode(queue: Self.queue, token: token)
        return cluster
    }

    @Test(
        "an image job runs in a container: ::mlex lines reach its run, outputs come back, usage is sampled and its peak kept"
    )
    func imageJobLifecycle() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try await cluster(owner.token)
        let script = """
            import os, time
            print("::mlex metric loss 0.25 1", flush=True)
            print("in a container as", os.getuid(), flush=True)
            block = bytearray(40 * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(3)
            with open(os.path.join(os.environ["MLEX_OUTPUT_DIR"], "model.txt"), "w") as f:
                f.write("weights")
            """
        let jobID = try await cluster.submit(
            pythonJob(owner.project, script, ["image": .string(TestDockerDaemon.image), "queue": .string(Self.queue)]),
            token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        #expect(try await cluster.logLines(jobID, token: owner.token).contains("in a container as 65534"))
        let outputs = try await cluster.compute("GET", "/v1/jobs/\(jobID)/outputs", token: owner.token).body
        #expect(
            outputs["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["model.txt"], "\(outputs.jsonText)"
        )
        let runID = try #require(job["runId"]?.stringValue)
        let run = try await withRetries(100) {
            let run = try await cluster.data("GET", "/v1/runs/\(runID)", token: owner.token).body
            guard run["status"] == "finished" else { throw POSIXError(.EAGAIN) }
            return run
        }
        #expect(run["metrics"]?["loss"]?.numberValue == 0.25, "\(run.jsonText)")

        let usage = try await cluster.compute("GET", "/v1/jobs/\(jobID)/usage", token: owner.token).body
        #expect((usage["history"]?.arrayValue?.count ?? 0) >= 1, "\(usage.jsonText)")
        // The 40 MB it touched, as Docker's stats saw it.
        #expect((usage["peakMemoryBytes"]?.intValue ?? 0) >= 40 << 20, "\(usage.jsonText)")
        #expect(usage["current"] == nil)
        let stranger = try await ComputeCluster.shared().newOwner()
        #expect(try await cluster.compute("GET", "/v1/jobs/\(jobID)/usage", token: stranger.token).status == 404)
    }

    @Test("limits hold in containers: past memory is oom_killed, a timeout ends it, cancel kills it")
    func limits() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try await cluster(owner.token)
        let docker: [String: JSONValue] = ["image": .string(TestDockerDaemon.image), "queue": .string(Self.queue)]
        let hog = try await cluster.submit(
            pythonJob(
                owner.project, "b = bytearray(400 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1",
                docker.merging(["resources": ["cpus": 0.5, "memoryMB": 64]]) { $1 }), token: owner.token)
        let slow = try await cluster.submit(
            pythonJob(owner.project, "import time\ntime.sleep(600)", docker.merging(["timeoutSeconds": 2]) { $1 }),
            token: owner.token)
        let cancelled = try await cluster.submit(
            pythonJob(owner.project, "import time\ntime.sleep(600)", docker), token: owner.token)
        _ = try await cluster.waitFor(cancelled, ["running"], token: owner.token)
        #expect(try await cluster.compute("POST", "/v1/jobs/\(cancelled)/cancel", token: owner.token).status == 202)

        let oom = try await cluster.finished(hog, token: owner.token)
        #expect(oom["state"] == "failed" && oom["reason"] == "oom_killed", "\(oom.jsonText)")
        let timedOut = try await cluster.finished(slow, token: owner.token)
        #expect(timedOut["state"] == "timed_out", "\(timedOut.jsonText)")
        let killed = try await cluster.finished(cancelled, token: owner.token)
        #expect(killed["state"] == "cancelled", "\(killed.jsonText)")
    }

    @Test("a job without an image is refused on a queue of docker nodes, naming image")
    func hostJobOnDockerQueue() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try await cluster(owner.token)
        let answer = try await cluster.compute(
            "POST", "/v1/jobs", pythonJob(owner.project, "pass", ["queue": .string(Self.queue)]), token: owner.token)
        #expect(answer.status == 422 && answer.body["error"]?["field"] == "image", "\(answer.body.jsonText)")
    }

    @Test("a docker agent SIGKILLed mid-job and restarted re-attaches to the container; every line arrives once")
    func restartReattaches() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try ComputeCluster.shared()
        let state = try temporaryDirectory()
        let first = try await cluster.startDockerAgent(queue: "docker-restart", state: state)
        try await cluster.waitForNode(queue: "docker-restart", token: owner.token)
        let spec = pythonJob(
            owner.project, "import time\nprint('before', flush=True)\ntime.sleep(4)\nprint('after', flush=True)",
            [
                "queue": "docker-restart", "image": .string(TestDockerDaemon.image),
            ])
        let jobID = try await cluster.submit(spec, token: owner.token)
        _ = try await cluster.waitFor(jobID, ["running"], token: owner.token)
        kill(first, SIGKILL)
        var status: Int32 = 0
        waitpid(first, &status, 0)
        let restarted = Date()
        let second = try await cluster.startDockerAgent(queue: "docker-restart", state: state)
        defer { kill(second, SIGTERM) }
        try await cluster.waitForNode(queue: "docker-restart", since: restarted, token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(lines.filter { $0 == "before" }.count == 1 && lines.filter { $0 == "after" }.count == 1, "\(lines)")
    }
}

/// Starts the suite's docker agent once (stopped at exit by pid).
private actor DockerNode {
    static let shared = DockerNode()
    private var started: Result<Void, any Error>?

    func start() async throws {
        if let started { return try started.get() }
        do {
            stopAtExit(
                try await ComputeCluster.shared().startDockerAgent(
                    queue: DockerJobTests.queue, state: try temporaryDirectory()))
            started = .success(())
        } catch {
            started = .failure(error)
            throw error
        }
    }
}
