import ComputeExecutors
import ComputeWire
import Foundation
import Platform
import PlatformTesting
import Testing

@testable import ComputeAgent
@testable import ComputeService

/// Jobs with several workers as compute sees them: the spec's limits, the refusals, and the
/// scheduler reserving all of a job's workers on one node or none. Placement is watched on
/// nodes the test drives by hand through the agents' API, so the real scheduler decides and
/// nothing runs: each claim and each end happens when the test says.
@Suite("compute: multi-worker scheduling")
struct MultiWorkerSchedulingTests {
    func job(
        _ project: String, queue: String? = nil, workers: Int? = nil, cpus: Double, gpus: Int = 0,
        priority: Int? = nil
    ) -> JSONValue {
        var spec: [String: JSONValue] = [
            "projectId": .string(project), "command": ["/bin/true"],
            "resources": ["cpus": .double(cpus), "memoryMB": 64, "gpus": .int(Int64(gpus))],
        ]
        if let queue { spec["queue"] = .string(queue) }
        if let workers { spec["workers"] = .int(Int64(workers)) }
        if let priority { spec["priority"] = .int(Int64(priority)) }
        return .object(spec)
    }

    @Test("workers outside 1 to 64 are 400; with an image, or more than any node holds at once, 422 naming workers")
    func refusals() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        func refused(
            _ extra: [String: JSONValue], status: Int, field: String, saying text: String? = nil
        ) async throws {
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
        try await refused(["workers": 0], status: 400, field: "workers")
        try await refused(["workers": .int(Int64(WorkerEnvironment.maxWorkers + 1))], status: 400, field: "workers")
        try await refused(["workers": "two"], status: 400, field: "workers")
        try await refused(
            ["workers": 2, "image": "python:3.12"], status: 422, field: "workers",
            saying: "the docker executor runs one worker per job")
        // The shared node has 2 CPUs and 2048 MB; each worker fits it, all of them together do not.
        try await refused(
            ["workers": 5, "resources": ["cpus": 0.5, "memoryMB": 256]], status: 422, field: "workers",
            saying: "5 workers need 2.5 cpus, 1280 MB")
        try await refused(
            ["workers": 3, "resources": ["cpus": 0.1, "memoryMB": 1024]], status: 422, field: "workers",
            saying: "3072 MB")
        // The most workers a spec may name passes the spec's checks and meets the node's.
        try await refused(
            ["workers": .int(Int64(WorkerEnvironment.maxWorkers)), "resources": ["cpus": 0.5, "memoryMB": 64]],
            status: 422, field: "workers")
        // A worker too big for any node is still the resource's fault.
        try await refused(
            ["workers": 2, "resources": ["cpus": 64, "memoryMB": 256]], status: 422, field: "resources.cpus",
            saying: "the largest has 2 cpus")
    }

    @Test(
        "a job's workers are placed all at once or not at all; a one-worker job passes one that does not fit yet",
        .timeLimit(.minutes(2)))
    func allOrNothing() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let node = try await HandDrivenNode.register(
            on: cluster.computeURL, cpus: 3, memoryMB: 4096, gpus: ["g0", "g1", "g2", "g3", "g4"])
        let pair = try await cluster.submit(
            job(owner.project, queue: node.queue, workers: 2, cpus: 1, gpus: 1), token: owner.token)
        let submitted = try await cluster.compute("GET", "/v1/jobs/\(pair)", token: owner.token).body
        #expect(
            submitted["workers"] == 2 && submitted["resources"]?["cpus"]?.numberValue == 1, "\(submitted.jsonText)")

        let first = try #require(try await node.claim(), "the 2-worker job fits the 3-CPU node")
        #expect(first["jobId"] == .string(pair) && first["workers"] == 2, "\(first.jsonText)")
        // Resources stay per worker; the GPUs are every worker's.
        #expect(
            first["resources"]?["cpus"]?.numberValue == 1 && first["gpuIds"]?.arrayValue?.count == 2,
            "\(first.jsonText)")

        // 1 CPU is left: the second pair must wait, although it comes first by priority.
        let secondPair = try await cluster.submit(
            job(owner.project, queue: node.queue, workers: 2, cpus: 1, gpus: 1, priority: 90), token: owner.token)
        let single = try await cluster.submit(
            job(owner.project, queue: node.queue, cpus: 1, gpus: 1, priority: 10), token: owner.token)
        let second = try #require(try await node.claim(), "the one-worker job fits what is left")
        #expect(second["jobId"] == .string(single) && second["workers"] == 1, "\(second.jsonText)")
        #expect(try await node.claim() == nil)
        let waiting = try await cluster.compute("GET", "/v1/jobs/\(secondPair)", token: owner.token).body
        #expect(waiting["state"] == "queued" && waiting["workers"] == 2, "\(waiting.jsonText)")
        let singleView = try await cluster.compute("GET", "/v1/jobs/\(single)", token: owner.token).body
        #expect(singleView["state"] == "scheduled" && singleView["workers"] == 1, "\(singleView.jsonText)")
        let nodeView = try await node.view(token: owner.token)
        #expect(
            nodeView["allocated"]?["cpus"]?.numberValue == 3 && nodeView["allocated"]?["memoryMB"] == 192
                && nodeView["allocated"]?["gpus"]?.arrayValue?.count == 3, "\(nodeView.jsonText)")

        // The first pair ends: its two CPUs and two GPUs go to the second pair, whole.
        try await node.end(pair)
        let third = try #require(try await node.claim(), "the second pair fits once the first has ended")
        #expect(third["jobId"] == .string(secondPair) && third["workers"] == 2, "\(third.jsonText)")
        let held = Set((second["gpuIds"]?.arrayValue ?? []) + (third["gpuIds"]?.arrayValue ?? []))
        #expect(held.count == 3, "GPUs go to one worker at a time: \(second.jsonText) \(third.jsonText)")
        try await node.end(single)
        try await node.end(secondPair)
        #expect(try await cluster.finished(secondPair, token: owner.token)["state"] == "succeeded")
    }

    @Test("a job stored before multi-worker jobs reads as one worker; what a job holds counts every worker")
    func storedJobs() throws {
        let old = try JobRecord(document: RecordWireTests.running)
        #expect(old.workers == 1 && old.assignment.workers == 1)
        #expect(try old.view()["workers"] == 1)
        #expect(JobAllocation(document: RecordWireTests.running).cpus == 1)

        var stored = RecordWireTests.running
        stored["workers"] = 2
        stored["resources"] = ["cpus": 0.5, "memoryMB": 1024, "gpus": 1, "diskMB": 10240]
        stored["gpuIds"] = ["g0", "g1"]
        let pair = try JobRecord(document: stored)
        #expect(pair.assignment.workers == 2 && pair.assignment.resources.cpus == 0.5)
        #expect(pair.footprint.cpus == 1 && pair.footprint.memoryMB == 2048 && pair.footprint.diskMB == 10240)
        let held = JobAllocation(document: stored)
        #expect(held.cpus == 1 && held.memoryMB == 2048 && held.gpuIds == ["g0", "g1"])
    }

    @Test("a failed worker's rank leads the job's message; one worker's job reads as before")
    func rankInReport() {
        func report(_ result: ExecutionResult, workers: Int) -> JobReport {
            JobRunner.report(for: result, memoryMB: 256, diskMB: 1024, timeout: 60, workers: workers)
        }
        let now = Date()
        let exited = ExecutionResult(
            reason: .exited, exitCode: 3, message: "rank 1: exited with code 3", startedAt: now, endedAt: now)
        let failed = report(exited, workers: 2)
        #expect(failed.state == "failed" && failed.reason == "exit_code" && failed.exitCode == 3)
        #expect(failed.message == "rank 1: exited with code 3")
        let oom = report(
            ExecutionResult(reason: .oomKilled, message: "rank 0: oom", startedAt: now, endedAt: now), workers: 4)
        #expect(oom.reason == "oom_killed" && oom.message?.hasPrefix("rank 0: killed by the kernel") == true)
        #expect(report(exited, workers: 1).message == "exited with code 3")
        let timedOut = ExecutionResult(reason: .timedOut, message: "rank 0: timed out", startedAt: now, endedAt: now)
        #expect(report(timedOut, workers: 2).message?.hasPrefix("ran longer") == true)
        #expect(JobRunner.rankPrefix(of: " 1: x") == nil && JobRunner.rankPrefix(of: "rank 12: x") == "rank 12: ")
    }

    @Test("a quota of active jobs counts each worker", .timeLimit(.minutes(2)))
    func quotaCountsWorkers() async throws {
        let platform = try LocalPlatform.start(computeEnvironment: ["MLEX_COMPUTE_MAX_ACTIVE_JOBS_PER_USER": "2"])
        let node = try await HandDrivenNode.register(on: platform.computeURL, cpus: 4, memoryMB: 4096, gpus: [])
        let busy = try await platform.newOwner("quota")
        let other = try await platform.newOwner("quota")
        func submit(_ spec: JSONValue, token: String) async throws -> String {
            let answer = try await httpCall(platform.computeURL + "/v1/jobs", "POST", spec, token: token)
            return try #require(answer.body["id"]?.stringValue, "\(answer.body)")
        }
        let pair = try await submit(job(busy.project, queue: node.queue, workers: 2, cpus: 0.5), token: busy.token)
        let single = try await submit(job(busy.project, queue: node.queue, cpus: 0.5), token: busy.token)
        #expect(try await node.claim()?["jobId"] == .string(pair))
        // The node has room; the pair's two workers are the user's quota of two.
        let passing = try await submit(job(other.project, queue: node.queue, cpus: 0.5), token: other.token)
        #expect(try await node.claim()?["jobId"] == .string(passing))
        #expect(try await node.claim() == nil)
        try await node.end(pair)
        #expect(try await node.claim()?["jobId"] == .string(single))
    }
}

/// A node whose agent is the test: it registers a capacity on its own queue, heartbeats and
/// asks for instructions when told, and reports jobs ended, through the agents' API with the
/// compute service's token — as `mlex-compute-agent` does, without running anything.
struct HandDrivenNode {
    let computeURL: String
    let token: String
    let id: String
    let queue: String

    static func register(on computeURL: String, cpus: Double, memoryMB: Int, gpus: [String]) async throws -> Self {
        let queue = "workers-\(ID.make().suffix(8).lowercased())"
        let node = Self(
            computeURL: computeURL, token: try await computeServiceToken(), id: ID.make(), queue: queue)
        let registration: JSONValue = [
            "name": .string("test-\(queue)"), "executor": "local", "queues": [.string(queue)],
            "capacity": [
                "cpus": .double(cpus), "memoryMB": .int(Int64(memoryMB)), "gpus": .array(gpus.map(JSONValue.string)),
            ],
        ]
        let answer = try await node.call("PUT", "/v1/nodes/\(node.id)", registration)
        #expect(answer.status == 200, "\(answer.body)")
        node.keepAlive()
        return node
    }

    /// Heartbeats every second in the background, as an agent does: nodes of the tests' compute
    /// are lost after 3 s of silence, and a test busy between two claims on a loaded machine
    /// (every compute suite at once on 2 cores) went past that and lost its node (CI, once).
    /// It stops after `keepAliveSeconds`, well past any test.
    private func keepAlive() {
        Task.detached { [self] in
            for _ in 0..<Self.keepAliveSeconds {
                try? await Task.sleep(for: .seconds(1))
                _ = try? await call("POST", "/v1/nodes/\(id)/heartbeat", ["jobs": [:]])
            }
        }
    }

    static let keepAliveSeconds = 600

    /// Heartbeats (besides `keepAlive`'s), then takes the one job the scheduler hands this node
    /// now, if any: its assignment.
    func claim() async throws -> JSONValue? {
        #expect(try await call("POST", "/v1/nodes/\(id)/heartbeat", ["jobs": [:]]).status == 204)
        let answer = try await call("POST", "/v1/nodes/\(id)/instructions?waitSeconds=0")
        #expect(answer.status == 200, "\(answer.body)")
        let assignments = answer.body["assignments"]?.arrayValue ?? []
        #expect(assignments.count <= 1, "\(answer.body)")
        return assignments.first
    }

    /// Reports the job succeeded, as an agent does when its process exits 0.
    func end(_ jobID: String) async throws {
        let answer = try await call(
            "POST", "/v1/nodes/\(id)/jobs/\(jobID)/report",
            ["state": "succeeded", "reason": "exit_code", "message": "exited with code 0", "exitCode": 0])
        #expect(answer.status == 200 && answer.body["state"] == "succeeded", "\(answer.body)")
    }

    /// The node as clients see it, with what is allocated on it.
    func view(token: String) async throws -> JSONValue {
        try await httpCall(computeURL + "/v1/nodes/\(id)", "GET", nil, token: token).body
    }

    private func call(
        _ method: String, _ path: String, _ body: JSONValue? = nil
    ) async throws -> (status: Int, body: JSONValue) {
        try await httpCall(computeURL + path, method, body, token: token)
    }
}
