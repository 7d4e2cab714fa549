import Foundation
import Platform
import PlatformTesting
import Testing

/// Jobs through the real services and real sandboxes: what a user sees from submission to the
/// outputs in the job's run. Serialized: they share one node and count on its free capacity.
@Suite("compute: jobs on real sandboxes", .serialized)
struct JobLifecycleTests {
    @Test("a job runs, reports through stdout, and its logs, metrics, params, progress and outputs land in its run")
    func fullLifecycle() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let script = """
            import os
            print("hello from the job", flush=True)
            print("::mlex progress 0.5 half way")
            print("::mlex metric loss 0.25 1")
            print("::mlex metric loss 0.125 2")
            print("::mlex param lr 0.01")
            print("::mlex tag stage test")
            print("::mlex frobnicate 1")
            open(os.path.join(os.environ["MLEX_OUTPUT_DIR"], "model.txt"), "w").write("weights " + os.environ["MLEX_PARAMS"])
            os.makedirs("/output/checkpoints")
            open("/output/checkpoints/epoch1.txt", "w").write("ckpt")
            os.symlink("/etc/passwd", "/output/leak")
            """
        let jobID = try await cluster.submit(
            pythonJob(owner.project, script, ["name": "train", "params": ["epochs": 3]]), token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        #expect(job["exitCode"] == 0 && job["progress"]?.numberValue == 1)
        let states = (job["transitions"]?.arrayValue ?? []).compactMap { $0["state"]?.stringValue }
        #expect(states == ["queued", "scheduled", "running", "succeeded"])
        #expect(
            (job["transitions"]?.arrayValue ?? []).allSatisfy { $0["at"]?.stringValue.flatMap(Timestamp.parse) != nil })
        #expect(job["nodeId"]?.stringValue != nil && job["usage"]?["cpuSeconds"]?.numberValue != nil)

        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(lines.contains("hello from the job"))
        #expect(!lines.contains { $0.hasPrefix("::mlex metric") || $0.hasPrefix("::mlex progress") })
        #expect(lines.contains { $0.contains("frobnicate") && $0.contains("not understood") })

        let runID = try #require(job["runId"]?.stringValue)
        let run = try await withRetries(100) {
            let run = try await cluster.data("GET", "/v1/runs/\(runID)", token: owner.token).body
            guard run["status"] == "finished" else { throw POSIXError(.EAGAIN) }
            return run
        }
        #expect(run["params"]?["lr"] == "0.01" && run["params"]?["epochs"] == 3)
        #expect(run["tags"]?["stage"] == "test")
        #expect(run["metrics"]?["loss"]?.numberValue == 0.125, "\(run.jsonText)")

        let outputs = try await cluster.compute("GET", "/v1/jobs/\(jobID)/outputs", token: owner.token).body
        let names = Set((outputs["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        #expect(
            names == ["model.txt", "checkpoints/epoch1.txt"], "symlinks are not followed out of the sandbox: \(names)")
        let model = try await cluster.bytes(
            cluster.dataURL + "/v1/runs/\(runID)/files/outputs/model.txt", token: owner.token)
        #expect(model == #"weights {"epochs":3}"#)
    }

    @Test("bad specs are refused naming the field; impossible ones with 422; strangers get 404")
    func refusals() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        func refused(_ extra: [String: JSONValue], status: Int, field: String, saying text: String? = nil) async throws
        {
            let answer = try await cluster.compute(
                "POST", "/v1/jobs", pythonJob(owner.project, "pass", extra), token: owner.token)
            #expect(
                answer.status == status && answer.body["error"]?["field"]?.stringValue == field,
                "\(extra): \(answer.body)")
            if let text {
                #expect(
                    answer.body["error"]?["message"]?.stringValue?.contains(text) == true, "\(extra): \(answer.body)")
            }
        }
        try await refused(["resources": ["cpus": 1, "memoryMB": 1]], status: 400, field: "resources.memoryMB")
        try await refused(["resources": ["cpus": 0]], status: 400, field: "resources.cpus")
        // A thousandth of a CPU would let a 2-CPU node take 2000 jobs.
        try await refused(
            ["resources": ["cpus": 0.001, "memoryMB": 256]], status: 400, field: "resources.cpus", saying: "0.01")
        try await refused(
            ["resources": ["cpus": 1, "memoryMB": 256, "diskMB": 8]], status: 400, field: "resources.diskMB")
        try await refused(["resources": ["memoryMB": "lots"]], status: 400, field: "resources.memoryMB")
        try await refused(["command": []], status: 400, field: "command")
        try await refused(["env": ["1BAD": "x"]], status: 400, field: "env.1BAD")
        try await refused(["timeoutSeconds": 0], status: 400, field: "timeoutSeconds")
        try await refused(["inputs": ["not-an-id"]], status: 400, field: "inputs.0")
        try await refused(["codePackage": "../etc/passwd"], status: 400, field: "codePackage")
        try await refused(["codePackage": "code/missing.tar"], status: 400, field: "codePackage")
        // Five workers of the default half cpu each: more than the 2-cpu node holds at once.
        try await refused(["workers": 5], status: 422, field: "workers")
        // Past the largest node of the queue: the field and the most any node has.
        try await refused(
            ["resources": ["cpus": 64, "memoryMB": 256]], status: 422, field: "resources.cpus",
            saying: "the largest has 2 cpus")
        try await refused(
            ["resources": ["cpus": 1, "memoryMB": 1_000_000]], status: 422, field: "resources.memoryMB",
            saying: "the largest has \(ComputeCluster.nodeMemoryMB) MB")
        try await refused(
            ["resources": ["cpus": 1, "memoryMB": 256, "diskMB": 16_777_216]], status: 422, field: "resources.diskMB",
            saying: "MB of disk")
        try await refused(["resources": ["cpus": 1, "memoryMB": 256, "gpus": 1]], status: 422, field: "resources.gpus")
        try await refused(["queue": "nowhere"], status: 422, field: "queue")
        try await refused(["image": "Python:3.12"], status: 400, field: "image")
        // The shared node runs the local executor: no node of the queue runs images.
        try await refused(["image": "python:3.12"], status: 422, field: "image")

        let stranger = try await cluster.newOwner()
        let foreign = try await cluster.compute(
            "POST", "/v1/jobs", pythonJob(owner.project, "pass"), token: stranger.token)
        #expect(foreign.status == 404)
        let anonymous = try await cluster.compute("GET", "/v1/jobs", token: nil)
        #expect(anonymous.status == 401)
        let agentOnly = try await cluster.compute(
            "POST", "/v1/nodes/\(ID.make())/instructions?waitSeconds=0", token: owner.token)
        #expect(agentOnly.status == 403)
    }

    @Test(
        "an input from a project the caller cannot read is 'no dataset version', draft or not; the owner hears it is a draft"
    )
    func foreignDraftInput() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let stranger = try await cluster.newOwner()
        let dataset = try #require(
            try await cluster.data(
                "POST", "/v1/projects/\(owner.project)/datasets", ["name": "drafty"], token: owner.token
            ).body["id"]?.stringValue)
        let draft = try #require(
            try await cluster.data("POST", "/v1/datasets/\(dataset)/versions", [:], token: owner.token).body["id"]?
                .stringValue)
        let foreign = try await cluster.compute(
            "POST", "/v1/jobs", pythonJob(stranger.project, "print(1)", ["inputs": [.string(draft)]]),
            token: stranger.token)
        #expect(foreign.status == 400 && foreign.body["error"]?["field"] == "inputs.0", "\(foreign.body)")
        #expect(
            foreign.body["error"]?["message"]?.stringValue == "no dataset version \(draft)",
            "nothing about its state: \(foreign.body)")
        let own = try await cluster.compute(
            "POST", "/v1/jobs", pythonJob(owner.project, "print(1)", ["inputs": [.string(draft)]]), token: owner.token)
        #expect(
            own.status == 400 && own.body["error"]?["message"]?.stringValue?.contains("draft") == true, "\(own.body)")
    }

    @Test("memory beyond the limit ends the job failed with reason oom_killed")
    func outOfMemory() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let jobID = try await cluster.submit(
            pythonJob(
                owner.project, "block = bytearray(400 * 1024 * 1024)\nprint('survived')",
                ["resources": ["cpus": 1, "memoryMB": 64]]), token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "failed" && job["reason"] == "oom_killed", "\(job.jsonText)")
        #expect(try await !cluster.logLines(jobID, token: owner.token).contains("survived"))
    }

    @Test("writing past the disk ends the job failed with reason disk_limit; a job gets the default disk")
    func diskLimit() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let script =
            "chunk = b'x' * (1 << 20)\nwith open('/output/big', 'wb') as f:\n    for _ in range(200): f.write(chunk)\nprint('survived')"
        let jobID = try await cluster.submit(
            pythonJob(owner.project, script, ["resources": ["cpus": 0.5, "memoryMB": 256, "diskMB": 64]]),
            token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "failed" && job["reason"] == "disk_limit", "\(job.jsonText)")
        #expect(job["message"]?.stringValue?.contains("64 MB") == true, "\(job.jsonText)")
        #expect(try await !cluster.logLines(jobID, token: owner.token).contains("survived"))

        let plain = try await cluster.finished(
            try await cluster.submit(pythonJob(owner.project, "pass"), token: owner.token), token: owner.token)
        #expect(
            plain["state"] == "succeeded" && plain["resources"]?["diskMB"] == 10240,
            "mlex.compute.defaultDiskMb: \(plain.jsonText)")
    }

    @Test("cpus 0.5 gives a CPU-bound job about half a core")
    func halfACore() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let script = "import time\nend = time.time() + 4\nwhile time.time() < end: pass"
        let jobID = try await cluster.submit(
            pythonJob(owner.project, script, ["resources": ["cpus": 0.5, "memoryMB": 128]]), token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        let cpu = try #require(job["usage"]?["cpuSeconds"]?.numberValue)
        // The script spins 4 s of wall time; throttled to half a core it gets at most about 2 s
        // of CPU (the ceiling is the kernel's); what it gets below that depends on how busy the
        // machine is, so the floor only shows that it ran.
        #expect(cpu > 0.4 && cpu < 2.4, "cpu seconds \(cpu)")
    }

    @Test("a fork bomb hits the pids limit and the node survives")
    func forkBomb() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let script = """
            import os, time
            children, refused = [], 0
            for _ in range(300):
                try:
                    pid = os.fork()
                except OSError:
                    refused += 1
                    continue
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                children.append(pid)
            print(f"children={len(children)} refused={refused}", flush=True)
            """
        let jobID = try await cluster.submit(
            pythonJob(owner.project, script, ["timeoutSeconds": 20]), token: owner.token)
        let line = try await withRetries(300) {
            guard
                let line = try await cluster.logLines(jobID, token: owner.token).first(where: {
                    $0.hasPrefix("children=")
                })
            else { throw POSIXError(.EAGAIN) }
            return line
        }
        let numbers = line.split(separator: " ").compactMap { Int($0.split(separator: "=").last ?? "") }
        #expect(numbers.count == 2 && numbers[0] < ComputeCluster.pidsLimit && numbers[1] > 0, "\(line)")
        try await cluster.compute("POST", "/v1/jobs/\(jobID)/cancel", token: owner.token)
        _ = try await cluster.finished(jobID, token: owner.token)
    }

    @Test("cancel kills a running job; its run becomes killed")
    func cancel() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let jobID = try await cluster.submit(
            pythonJob(owner.project, "import time\nprint('started', flush=True)\ntime.sleep(600)"), token: owner.token)
        _ = try await cluster.waitFor(jobID, ["running"], token: owner.token)
        let asked = try await cluster.compute("POST", "/v1/jobs/\(jobID)/cancel", token: owner.token)
        #expect(asked.status == 202 && asked.body["cancelRequested"] == true)
        let job = try await cluster.finished(jobID, token: owner.token, seconds: 30)
        #expect(job["state"] == "cancelled" && job["reason"] == "cancelled", "\(job.jsonText)")
        let again = try await cluster.compute("POST", "/v1/jobs/\(jobID)/cancel", token: owner.token)
        #expect(again.status == 409)
        let runID = try #require(job["runId"]?.stringValue)
        try await withRetries(100) {
            guard try await cluster.data("GET", "/v1/runs/\(runID)", token: owner.token).body["status"] == "killed"
            else { throw POSIXError(.EAGAIN) }
        }
    }

    @Test("a job past its timeout ends timed_out")
    func timeout() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let jobID = try await cluster.submit(
            pythonJob(owner.project, "import time\ntime.sleep(600)", ["timeoutSeconds": 1]), token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token, seconds: 60)
        #expect(job["state"] == "timed_out" && job["reason"] == "timeout", "\(job.jsonText)")
    }

    @Test("a job has no network and cannot see another job's files")
    func isolation() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let holder = try await cluster.submit(
            pythonJob(
                owner.project,
                "import time\nopen('/job/secret.txt', 'w').write('s3cret')\nprint('ready', flush=True)\ntime.sleep(600)"
            ), token: owner.token)
        _ = try await cluster.waitFor(holder, ["running"], token: owner.token)
        let secret = cluster.agentState.appendingPathComponent("compute-agent/jobs/\(holder)/disk/work/secret.txt").path
        try await withRetries(100) {
            guard FileManager.default.fileExists(atPath: secret) else { throw POSIXError(.EAGAIN) }
        }
        let script = """
            import os, socket
            try:
                socket.create_connection(("127.0.0.1", \(cluster.computePort)), timeout=3)
                print("network: reached")
            except OSError as error:
                print("network: refused")
            try:
                print("read: " + open("\(secret)").read())
            except OSError:
                print("read: denied")
            others = [p for p in os.listdir("/proc") if p.isdigit()]
            print(f"uid={os.getuid()} processes={len(others)}")
            """
        let prober = try await cluster.submit(pythonJob(owner.project, script), token: owner.token)
        let job = try await cluster.finished(prober, token: owner.token)
        #expect(job["state"] == "succeeded")
        let lines = try await cluster.logLines(prober, token: owner.token)
        #expect(lines.contains("network: refused") && lines.contains("read: denied"), "\(lines)")
        let identity = try #require(lines.first { $0.hasPrefix("uid=") })
        #expect(identity.hasPrefix("uid=65534 ") && !identity.hasPrefix("uid=0"), "\(identity)")
        let processes = Int(identity.split(separator: "=").last ?? "") ?? 99
        #expect(processes < 5, "a job sees only its own processes: \(identity)")
        try await cluster.compute("POST", "/v1/jobs/\(holder)/cancel", token: owner.token)
        _ = try await cluster.finished(holder, token: owner.token)
    }

    @Test("two jobs that together exceed the node wait for each other instead of oversubscribing")
    func noOversubscription() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let big: [String: JSONValue] = ["resources": ["cpus": 1.5, "memoryMB": 256]]
        // The first runs until cancelled, so "the second is still queued" cannot race its end.
        let first = try await cluster.submit(
            pythonJob(owner.project, "import time\ntime.sleep(600)", big), token: owner.token)
        let second = try await cluster.submit(
            pythonJob(owner.project, "import time\ntime.sleep(1)", big), token: owner.token)
        _ = try await cluster.waitFor(first, ["running"], token: owner.token)
        let waiting = try await cluster.compute("GET", "/v1/jobs/\(second)", token: owner.token).body
        #expect(waiting["state"] == "queued", "\(waiting.jsonText)")
        let nodes = try await cluster.compute("GET", "/v1/nodes", token: owner.token).body
        let node = try #require(nodes["items"]?.arrayValue?.first { $0["name"] == "test-default" })
        #expect(node["allocated"]?["cpus"]?.numberValue ?? 0 <= ComputeCluster.nodeCPUs)

        // Which jobs run where is shown to their owner and administrators, not to other users.
        let nodeID = try #require(
            try await cluster.compute("GET", "/v1/jobs/\(first)", token: owner.token).body["nodeId"]?.stringValue)
        let stranger = try await cluster.newOwner()
        let admin = try await cluster.platform.users.signIn(UsersServer.adminEmail, password: UsersServer.adminPassword)
        #expect(
            try await cluster.compute("GET", "/v1/nodes/\(nodeID)", token: owner.token).body["jobs"]?.arrayValue?
                .contains(.string(first)) == true)
        #expect(
            try await cluster.compute("GET", "/v1/nodes/\(nodeID)", token: admin).body["jobs"]?.arrayValue?.contains(
                .string(first)) == true)
        let seenByStranger = try await cluster.compute("GET", "/v1/nodes/\(nodeID)", token: stranger.token).body
        #expect(
            seenByStranger["capacity"] != nil && seenByStranger["jobs"]?.arrayValue?.contains(.string(first)) == false,
            "\(seenByStranger.jsonText)")

        #expect(try await cluster.compute("POST", "/v1/jobs/\(first)/cancel", token: owner.token).status == 202)
        let ended = try await cluster.finished(first, token: owner.token)
        let later = try await cluster.finished(second, token: owner.token)
        let firstEnd = try #require(ended["endedAt"]?.stringValue.flatMap(Timestamp.parse))
        let secondStart = try #require(later["scheduledAt"]?.stringValue.flatMap(Timestamp.parse))
        #expect(
            secondStart >= firstEnd.addingTimeInterval(-0.01),
            "the second was scheduled only once the first freed the node")
    }

    @Test("rerun makes a linked job with overrides; the list filters by project and state")
    func rerunAndList() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let original = try await cluster.submit(
            pythonJob(
                owner.project, "import os\nprint(os.environ['MLEX_PARAMS'])", ["params": ["lr": 0.1, "epochs": 1]]),
            token: owner.token)
        _ = try await cluster.finished(original, token: owner.token)
        let rerun = try await cluster.compute(
            "POST", "/v1/jobs/\(original)/rerun", ["params": ["lr": 0.2], "resources": ["memoryMB": 300]],
            token: owner.token)
        #expect(rerun.status == 201, "\(rerun.body)")
        let rerunID = try #require(rerun.body["id"]?.stringValue)
        #expect(rerun.body["rerunOf"]?.stringValue == original && rerun.body["resources"]?["memoryMB"] == 300)
        let job = try await cluster.finished(rerunID, token: owner.token)
        #expect(job["state"] == "succeeded")
        #expect(try await cluster.logLines(rerunID, token: owner.token).contains(#"{"epochs":1,"lr":0.2}"#))
        let listed = try await cluster.compute(
            "GET", "/v1/jobs?projectId=\(owner.project)&state=succeeded&limit=1", token: owner.token
        ).body
        #expect(
            listed["items"]?.arrayValue?.first?["id"]?.stringValue == rerunID
                && listed["nextAfter"]?.stringValue == rerunID)
        let next = try await cluster.compute(
            "GET", "/v1/jobs?projectId=\(owner.project)&state=succeeded&after=\(rerunID)", token: owner.token
        ).body
        #expect(next["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [original])
    }

    @Test("state changes and logs stream as server-sent events until the job ends")
    func eventStreams() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let jobID = try await cluster.submit(
            pythonJob(
                owner.project,
                "import time\nfor i in range(3):\n    print(f'line {i}', flush=True)\n    print(f'::mlex progress {(i + 1) / 3:.2f}', flush=True)\n    time.sleep(0.5)"
            ), token: owner.token)
        async let events = cluster.bytes(cluster.computeURL + "/v1/jobs/\(jobID)/events", token: owner.token)
        async let logs = cluster.bytes(cluster.computeURL + "/v1/jobs/\(jobID)/logs?follow=true", token: owner.token)
        let (stateStream, logStream) = try await (events, logs)
        #expect(
            stateStream.contains(#""state":"running""#) && stateStream.contains(#""state":"succeeded""#)
                && stateStream.hasSuffix("event: end\ndata: {}\n\n"))
        for line in ["line 0", "line 1", "line 2"] { #expect(logStream.contains(line), "\(logStream)") }
        #expect(logStream.hasSuffix("event: end\ndata: {}\n\n"))
    }

    @Test("the compute API is documented at /docs and /openapi.json")
    func documentation() async throws {
        let cluster = try ComputeCluster.shared()
        let page = try await ComputeCluster.call(cluster.computeURL + "/openapi.json", "GET", nil, token: nil)
        #expect(page.status == 200)
        let paths = page.body["paths"]?.objectValue?.keys.sorted() ?? []
        for path in [
            "/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/cancel", "/v1/jobs/{id}/logs", "/v1/jobs/{id}/events",
            "/v1/jobs/{id}/rerun", "/v1/jobs/{id}/outputs", "/v1/nodes",
        ] {
            #expect(paths.contains(path), "\(path) in \(paths)")
        }
        let docs = try await cluster.bytes(cluster.computeURL + "/docs", token: "")
        #expect(docs.contains("<html") || docs.contains("<!doctype"))
    }
}
