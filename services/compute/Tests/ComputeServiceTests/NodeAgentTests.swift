import AsyncHTTPClient
import Foundation
import NIOCore
import Platform
import PlatformTesting
import Testing

/// The DDL workflow (code package + dataset → main.py → outputs) and what happens when an
/// agent restarts or dies. The agent tests start agents of their own on queues of their own.
@Suite("compute: DDL jobs and node agents", .serialized)
struct NodeAgentTests {
    @Test("a DDL job: main(dataset_dir, model_output_dir) from a code package, a dataset version mounted read-only")
    func ddlContract() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let code = try temporaryDirectory()
        try """
        import os
        def main(dataset_dir, model_output_dir):
            rows = open(os.path.join(dataset_dir, "rows.csv")).read().splitlines()
            print(f"::mlex metric rows {len(rows)}")
            try:
                open(os.path.join(dataset_dir, "rows.csv"), "a").write("tamper")
                print("dataset: writable")
            except OSError:
                print("dataset: read-only")
            open(os.path.join(model_output_dir, "model.bin"), "w").write(str(len(rows)))
        """.write(to: code.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
        let archive = try temporaryDirectory().appendingPathComponent("code.tar")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-cf", archive.path, "-C", code.path, "main.py"]
        try tar.run()
        tar.waitUntilExit()
        try await cluster.put(
            cluster.dataURL + "/v1/projects/\(owner.project)/files/code/abc123.tar", try Data(contentsOf: archive),
            token: owner.token)

        let dataset = try await cluster.data(
            "POST", "/v1/projects/\(owner.project)/datasets", ["name": "rows"], token: owner.token
        ).body
        let version = try await cluster.data(
            "POST", "/v1/datasets/\(dataset["id"]?.stringValue ?? "")/versions", ["description": "three rows"],
            token: owner.token
        ).body
        let versionID = try #require(version["id"]?.stringValue, "\(version)")
        try await cluster.put(
            cluster.dataURL + "/v1/dataset-versions/\(versionID)/files/rows.csv", Data("a\nb\nc\n".utf8),
            token: owner.token)
        let draft = try await cluster.compute(
            "POST", "/v1/jobs",
            ["projectId": .string(owner.project), "codePackage": "code/abc123.tar", "inputs": [.string(versionID)]],
            token: owner.token)
        #expect(
            draft.status == 400 && draft.body["error"]?["field"] == "inputs.0",
            "a draft version is no input: \(draft.body)")
        try await cluster.data("POST", "/v1/dataset-versions/\(versionID)/finalize", token: owner.token)

        let jobID = try await cluster.submit(
            [
                "projectId": .string(owner.project), "codePackage": "code/abc123.tar", "inputs": [.string(versionID)],
                "resources": ["cpus": 1, "memoryMB": 256],
            ], token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText) \(lines)")
        #expect(lines.contains("dataset: read-only"))
        let runID = try #require(job["runId"]?.stringValue)
        #expect(
            try await cluster.bytes(cluster.dataURL + "/v1/runs/\(runID)/files/outputs/model.bin", token: owner.token)
                == "3")
        let inputs = try await cluster.data("GET", "/v1/runs/\(runID)/inputs", token: owner.token).body
        #expect(inputs.jsonText.contains(versionID), "the run records its dataset input: \(inputs)")

        let missing = try await cluster.submit(
            [
                "projectId": .string(owner.project), "codePackage": "code/abc123.tar",
                "command": ["/bin/cat", "/job/nothing"],
            ], token: owner.token)
        #expect(try await cluster.finished(missing, token: owner.token)["reason"] == "exit_code")
    }

    @Test("an agent restarted mid-job re-attaches: the job finishes and nothing it printed is lost")
    func restartReattaches() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let state = try temporaryDirectory()
        let first = try cluster.startAgent(queue: "restart", state: state)
        try await cluster.waitForNode(queue: "restart", token: owner.token)
        let jobID = try await cluster.submit(
            pythonJob(
                owner.project, "import time\nprint('before', flush=True)\ntime.sleep(4)\nprint('after', flush=True)",
                ["queue": "restart"]), token: owner.token)
        _ = try await cluster.waitFor(jobID, ["running"], token: owner.token)
        kill(first, SIGKILL)
        var status: Int32 = 0
        waitpid(first, &status, 0)
        let restarted = Date()
        let second = try cluster.startAgent(queue: "restart", state: state)
        defer { kill(second, SIGTERM) }
        try await cluster.waitForNode(queue: "restart", since: restarted, token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(lines.contains("before") && lines.contains("after"), "\(lines)")
    }

    @Test("a dead agent's jobs are marked lost, or queued again when their spec allows retries")
    func deadAgent() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let state = try temporaryDirectory()
        let agent = try cluster.startAgent(queue: "doomed", state: state)
        try await cluster.waitForNode(queue: "doomed", token: owner.token)
        let once = try await cluster.submit(
            pythonJob(
                owner.project, "import time\ntime.sleep(600)",
                ["queue": "doomed", "resources": ["cpus": 0.5, "memoryMB": 128]]), token: owner.token)
        let retried = try await cluster.submit(
            pythonJob(
                owner.project, "import time\ntime.sleep(600)",
                ["queue": "doomed", "resources": ["cpus": 0.5, "memoryMB": 128], "retries": 1]), token: owner.token)
        _ = try await cluster.waitFor(once, ["running"], token: owner.token)
        _ = try await cluster.waitFor(retried, ["running"], token: owner.token)
        kill(agent, SIGKILL)
        var status: Int32 = 0
        waitpid(agent, &status, 0)
        let lost = try await cluster.finished(once, token: owner.token, seconds: 30)
        #expect(lost["state"] == "failed" && lost["reason"] == "node_lost", "\(lost.jsonText)")
        let requeued = try await cluster.waitFor(retried, ["queued"], token: owner.token, seconds: 30)
        #expect(requeued["attempt"] == 2 && requeued["reason"] == "node_lost")
        let nodes = try await cluster.compute("GET", "/v1/nodes", token: owner.token).body
        #expect(nodes["items"]?.arrayValue?.first { $0["name"] == "test-doomed" }?["state"] == "lost")

        // The node comes back: it stops the orphaned sandboxes and takes the requeued job again.
        let back = try cluster.startAgent(queue: "doomed", state: state)
        defer { kill(back, SIGTERM) }
        _ = try await cluster.waitFor(retried, ["running"], token: owner.token, seconds: 30)
        try await cluster.compute("POST", "/v1/jobs/\(retried)/cancel", token: owner.token)
        #expect(try await cluster.finished(retried, token: owner.token)["state"] == "cancelled")
        try await withRetries(100) {
            let left = try FileManager.default.contentsOfDirectory(
                atPath: state.appendingPathComponent("compute-agent/jobs").path)
            guard left.isEmpty else { throw POSIXError(.EAGAIN) }
        }
    }

    @Test("a node takes no job whose disk is larger than it has, while a larger node of its queue does")
    func diskFitsTheNode() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let node = LocalPlatform.Node(
            cpus: ComputeCluster.nodeCPUs, memoryMB: ComputeCluster.nodeMemoryMB, pidsLimit: ComputeCluster.pidsLimit)
        let large = try cluster.platform.startAgent(queue: "disks", state: try temporaryDirectory(), node: node)
        defer { kill(large, SIGTERM) }
        let small = try cluster.platform.startAgent(
            queue: "disks", state: try temporaryDirectory(), node: node,
            environment: ["MLEX_AGENT_NAME": "test-disks-small", "MLEX_AGENT_DISK_MB": "256"])
        defer { kill(small, SIGTERM) }
        try await cluster.waitForNode(queue: "disks", token: owner.token)
        let smallNode = try await withRetries(300) {
            let nodes =
                try await cluster.compute("GET", "/v1/nodes", token: owner.token).body["items"]?.arrayValue ?? []
            guard let found = nodes.first(where: { $0["name"] == "test-disks-small" && $0["state"] == "online" }),
                found["id"]?.stringValue != nil
            else { throw POSIXError(.EAGAIN) }
            return found
        }
        #expect(smallNode["capacity"]?["diskMB"] == 256, "\(smallNode.jsonText)")
        let smallID = try #require(smallNode["id"]?.stringValue)
        var jobs: [String] = []
        for _ in 0..<4 {
            jobs.append(
                try await cluster.submit(
                    pythonJob(
                        owner.project, "pass",
                        ["queue": "disks", "resources": ["cpus": 0.5, "memoryMB": 128, "diskMB": 1024]]),
                    token: owner.token))
        }
        for job in jobs {
            let ended = try await cluster.finished(job, token: owner.token)
            #expect(ended["state"] == "succeeded" && ended["nodeId"] != .string(smallID), "\(ended.jsonText)")
        }
    }
}
