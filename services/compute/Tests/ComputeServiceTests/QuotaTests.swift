import Foundation
import Platform
import PlatformTesting
import Testing

@testable import ComputeService

/// Compute quotas through the real API: admins set a project's or a user's limits, the
/// scheduler holds what crosses them with the reason on the job, and a raise lets it run.
/// Placement is watched on nodes the test drives by hand (with fake GPU ids), so each start
/// and end happens when the test says.
@Suite("compute: quotas")
struct QuotaTests {
    static func gpuJob(_ project: String, queue: String, gpus: Int = 1, workers: Int = 1) -> JSONValue {
        [
            "projectId": .string(project), "command": ["/bin/true"], "queue": .string(queue),
            "workers": .int(Int64(workers)),
            "resources": ["cpus": 0.5, "memoryMB": 64, "gpus": .int(Int64(gpus))],
        ]
    }

    /// Reports `state` for `job` as its node's agent would, heartbeating first: nodes of the
    /// tests' compute are lost after 3 s of silence, which a loaded machine can reach.
    static func report(_ node: HandDrivenNode, _ job: String, _ body: JSONValue) async throws {
        _ = try await httpCall(
            node.computeURL + "/v1/nodes/\(node.id)/heartbeat", "POST", ["jobs": [:]], token: node.token)
        let answer = try await httpCall(
            node.computeURL + "/v1/nodes/\(node.id)/jobs/\(job)/report", "POST", body, token: node.token)
        #expect(answer.status == 200, "\(answer.body)")
    }

    @Test(
        "a job past its project's GPU-hour quota stays queued with the reason, CPU jobs still run, and a raise lets it start",
        .timeLimit(.minutes(2)))
    func gpuHours() async throws {
        let cluster = try ComputeCluster.shared()
        let admin = try await TemplateTests.adminToken(cluster)
        let owner = try await cluster.newOwner()
        let node = try await HandDrivenNode.register(
            on: cluster.computeURL, cpus: 4, memoryMB: 4096, gpus: ["q0", "q1"])
        // 0.36 GPU-seconds: one GPU for a second crosses it.
        let set = try await cluster.compute(
            "PUT", "/v1/quotas/projects/\(owner.project)", ["gpuHoursPerMonth": 0.0001], token: admin)
        #expect(set.status == 200 && set.body["limits"]?["gpuHoursPerMonth"]?.numberValue == 0.0001, "\(set.body)")
        // Only administrators set quotas; the project's owner reads them.
        let refused = try await cluster.compute(
            "PUT", "/v1/quotas/projects/\(owner.project)", ["gpuHoursPerMonth": 100], token: owner.token)
        #expect(refused.status == 403, "\(refused.body)")

        let first = try await cluster.submit(Self.gpuJob(owner.project, queue: node.queue), token: owner.token)
        #expect(try await node.claim()?["jobId"]?.stringValue == first)
        try await Self.report(node, first, ["state": "running"])
        try await Task.sleep(for: .milliseconds(1200))
        try await Self.report(
            node, first,
            [
                "state": "succeeded", "exitCode": 0,
                "usage": ["cpuSeconds": 0.25, "memoryBytes": 0, "memoryPeakBytes": 1_048_576, "pids": 0],
            ])

        let second = try await cluster.submit(Self.gpuJob(owner.project, queue: node.queue), token: owner.token)
        #expect(try await node.claim() == nil)
        let held = try await cluster.compute("GET", "/v1/jobs/\(second)", token: owner.token).body
        let month = UsagePeriod.month(of: Date())
        #expect(held["state"] == "queued", "\(held)")
        #expect(
            held["pendingReason"]?.stringValue?.hasPrefix("project GPU-hour quota for \(month) reached (") == true,
            "\(held)")
        #expect(held["pendingReason"]?.stringValue?.hasSuffix(" of 0.0001 h)") == true, "\(held)")
        // The listing says so too.
        let listed = try await cluster.compute(
            "GET", "/v1/jobs?projectId=\(owner.project)&state=queued", token: owner.token)
        #expect(listed.body["items"]?.arrayValue?.first?["pendingReason"] == held["pendingReason"], "\(listed.body)")

        // A job without GPUs is not held by a GPU-hour quota.
        let cpuOnly = try await cluster.submit(
            Self.gpuJob(owner.project, queue: node.queue, gpus: 0), token: owner.token)
        #expect(try await node.claim()?["jobId"]?.stringValue == cpuOnly)

        let quota = try await cluster.compute("GET", "/v1/quotas/projects/\(owner.project)", token: owner.token).body
        #expect((quota["use"]?["gpuHours"]?.numberValue ?? 0) >= 1.0 / 3600, "\(quota)")
        #expect(quota["use"]?["month"]?.stringValue == month, "\(quota)")
        #expect(quota["use"]?["activeWorkers"] == 1, "\(quota)")

        let raised = try await cluster.compute(
            "PUT", "/v1/quotas/projects/\(owner.project)", ["gpuHoursPerMonth": 10], token: admin)
        #expect(raised.status == 200, "\(raised.body)")
        #expect(try await node.claim()?["jobId"]?.stringValue == second)
        let started = try await cluster.compute("GET", "/v1/jobs/\(second)", token: owner.token).body
        #expect(started["state"] == "scheduled" && started["pendingReason"] == nil, "\(started)")
        for job in [second, cpuOnly] { try await Self.report(node, job, ["state": "succeeded", "exitCode": 0]) }
    }

    @Test("a job that could never fit its quota (0 GPU-hours) is refused at submission, naming the quota")
    func refusedAtSubmission() async throws {
        let cluster = try ComputeCluster.shared()
        let admin = try await TemplateTests.adminToken(cluster)
        let owner = try await cluster.newOwner()
        let node = try await HandDrivenNode.register(on: cluster.computeURL, cpus: 2, memoryMB: 1024, gpus: ["z0"])
        try await cluster.compute(
            "PUT", "/v1/quotas/projects/\(owner.project)", ["gpuHoursPerMonth": 0], token: admin)
        let answer = try await cluster.compute(
            "POST", "/v1/jobs", Self.gpuJob(owner.project, queue: node.queue), token: owner.token)
        #expect(answer.status == 422 && answer.body["error"]?["field"] == "quota.gpuHoursPerMonth", "\(answer.body)")
        let cpuJob = try await cluster.submit(
            Self.gpuJob(owner.project, queue: node.queue, gpus: 0), token: owner.token)
        _ = try await cluster.compute("POST", "/v1/jobs/\(cpuJob)/cancel", token: owner.token)
    }

    @Test("a user's concurrent-worker quota counts workers: the next job waits with the reason until one ends")
    func activeWorkers() async throws {
        let cluster = try ComputeCluster.shared()
        let admin = try await TemplateTests.adminToken(cluster)
        let owner = try await cluster.newOwner()
        let node = try await HandDrivenNode.register(on: cluster.computeURL, cpus: 8, memoryMB: 4096, gpus: [])
        let set = try await cluster.compute(
            "PUT", "/v1/quotas/users/\(owner.id)", ["maxActiveWorkers": 2], token: admin)
        #expect(set.status == 200, "\(set.body)")
        let mine = try await cluster.compute("GET", "/v1/quotas/users/me", token: owner.token).body
        #expect(mine["userId"]?.stringValue == owner.id && mine["own"]?["maxActiveWorkers"] == 2, "\(mine)")
        // Another user's quota is not theirs to read.
        let other = try await cluster.newOwner()
        #expect(try await cluster.compute("GET", "/v1/quotas/users/\(owner.id)", token: other.token).status == 404)
        #expect(
            try await cluster.compute("GET", "/v1/quotas/projects/\(owner.project)", token: other.token).status == 404)

        let pair = try await cluster.submit(
            Self.gpuJob(owner.project, queue: node.queue, gpus: 0, workers: 2), token: owner.token)
        let next = try await cluster.submit(Self.gpuJob(owner.project, queue: node.queue, gpus: 0), token: owner.token)
        #expect(try await node.claim()?["jobId"]?.stringValue == pair)
        #expect(try await node.claim() == nil)
        let held = try await cluster.compute("GET", "/v1/jobs/\(next)", token: owner.token).body
        #expect(
            held["pendingReason"] == "user concurrent-worker quota reached (2 of 2 workers active)", "\(held)")
        try await node.end(pair)
        #expect(try await node.claim()?["jobId"]?.stringValue == next)
        try await node.end(next)
    }

    @Test("defaults are read by anyone and set by administrators only")
    func defaults() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let read = try await cluster.compute("GET", "/v1/quotas/defaults", token: owner.token)
        #expect(read.status == 200 && read.body["project"] != nil && read.body["user"] != nil, "\(read.body)")
        let refused = try await cluster.compute("PUT", "/v1/quotas/defaults", read.body, token: owner.token)
        #expect(refused.status == 403, "\(refused.body)")
        let admin = try await TemplateTests.adminToken(cluster)
        let bad = try await cluster.compute(
            "PUT", "/v1/quotas/defaults", ["project": ["cpuHoursPerMonth": -1]], token: admin)
        #expect(bad.status == 400 && bad.body["error"]?["field"] == "project.cpuHoursPerMonth", "\(bad.body)")
    }
}
