import Foundation
import Platform
import Testing

@testable import ComputeService

/// The typed records read what the store already holds and write it back field for field:
/// documents here are as compute stored them before it had records.
@Suite("compute: records keep the wire")
struct RecordWireTests {
    static let spec: JSONValue = [
        "projectId": "0196a0b2-0000-7000-8000-000000000001", "command": ["/bin/true"], "env": ["A": "1"],
    ]

    /// A running job as the store holds it, with the scheduler's bookkeeping beside it.
    static let running: JSONValue = [
        "id": "0196a0b2-0000-7000-8000-000000000002", "projectId": "0196a0b2-0000-7000-8000-000000000001",
        "name": "job-00000002",
        "owner": "u1", "runId": "0196a0b2-0000-7000-8000-000000000003", "state": "running", "queue": "default",
        "priority": 50,
        "spec": spec, "resources": ["cpus": 1, "memoryMB": 1024, "gpus": 0, "diskMB": 10240], "command": ["/bin/true"],
        "env": ["A": "1"],
        "attempt": 1, "retries": 0, "progress": 0.5, "progressMessage": "half", "cancelRequested": false, "gpuIds": [],
        "nodeId": "0196a0b2-0000-7000-8000-000000000004",
        "usage": ["cpuSeconds": 1.5, "memoryBytes": 1000, "memoryPeakBytes": 2000, "pids": 3],
        "createdAt": "2026-12-01T10:00:00.000Z", "scheduledAt": "2026-12-01T10:00:01.000Z",
        "startedAt": "2026-12-01T10:00:02.000Z",
        "updatedAt": "2026-12-01T10:00:02.000Z", "reason": "running",
        "transitions": [
            ["state": "queued", "at": "2026-12-01T10:00:00.000Z"],
            ["state": "scheduled", "at": "2026-12-01T10:00:01.000Z"],
            ["state": "running", "at": "2026-12-01T10:00:02.000Z"],
        ],
        "cancelDelivered": false,
    ]

    @Test("a stored job reads into a record and shows as it always did, without the scheduler's bookkeeping")
    func jobRoundTrip() throws {
        let job = try JobRecord(document: Self.running)
        #expect(job.state == .running && job.resources.memoryMB == 1024 && job.usage?.pids == 3)
        var expected = Self.running
        expected[JobDirectory.cancelDelivered] = nil
        // Stored before multi-worker jobs: shown with the one worker it had.
        expected["workers"] = 1
        #expect(try job.view() == expected)
    }

    @Test("a job from before templates (no env of its own) gets its spec's environment")
    func jobWithoutEnvironment() throws {
        var stored = Self.running
        stored["env"] = nil
        let job = try JobRecord(document: stored)
        #expect(job.assignment.environment == ["A": "1"])
        #expect(try job.view()["env"] == nil)
    }

    @Test("a job queued again after its node was lost says nodeId null; a new one has no nodeId")
    func requeuedJobSaysNull() throws {
        var requeued = Self.running
        requeued["state"] = "queued"
        requeued["attempt"] = 2
        requeued["nodeId"] = .null
        requeued[JobDirectory.cancelDelivered] = nil
        requeued["workers"] = 1
        #expect(try JobRecord(document: requeued).view() == requeued)
        var fresh = requeued
        fresh["attempt"] = 1
        fresh["nodeId"] = nil
        #expect(try JobRecord(document: fresh).view() == fresh)
    }

    @Test("a stored template reads into its record and back, its own fields and the bookkeeping side by side")
    func templateRoundTrip() throws {
        let stored: JSONValue = [
            "id": "0196a0b2-0000-7000-8000-000000000005", "name": "python-cpu", "image": "python:3.12-slim",
            "setup": ["pip install numpy"],
            "defaultResources": ["cpus": 2, "memoryMB": 2048, "gpus": 0], "ranges": ["cpus": ["min": 0.5, "max": 8]],
            "createdBy": "seed", "createdAt": "2026-12-01T10:00:00.000Z", "updatedAt": "2026-12-01T10:00:00.000Z",
        ]
        let record = try TemplateRecord(document: stored)
        #expect(record.template.name == "python-cpu" && record.createdBy == "seed" && record.template.projectId == nil)
        #expect(try record.document() == stored)
    }

    @Test("a node shows usage {} until its first heartbeat, then the sums it carried")
    func nodeUsage() throws {
        var stored: JSONValue = [
            "id": "0196a0b2-0000-7000-8000-000000000004", "name": "n1", "executor": "local", "queues": ["default"],
            "capacity": ["cpus": 4, "memoryMB": 8192, "gpus": []], "state": "online",
            "lastHeartbeat": "2026-12-01T10:00:00.000Z",
            "heartbeatAtMs": 1_764_583_200_000, "registeredAt": "2026-12-01T10:00:00.000Z",
            "createdAt": "2026-12-01T10:00:00.000Z", "usage": [:],
        ]
        #expect(try NodeRecord(document: stored).usage.measured == nil)
        #expect(try NodeRecord(document: stored).document() == stored)
        stored["usage"] = ["cpuSeconds": 1.5, "memoryBytes": 1000, "memoryPeakBytes": 2000, "pids": 3]
        stored["runningJobs"] = 1
        #expect(try NodeRecord(document: stored).usage.measured?.pids == 3)
        #expect(try NodeRecord(document: stored).document() == stored)
    }

    @Test("request checks name the same fields with the same messages")
    func fieldNames() throws {
        func refusal(_ body: JSONValue) throws -> APIError? {
            do {
                try body.decoded(as: JobSpec.self).validate()
                return nil
            } catch let error as APIError {
                return error
            }
        }
        var body = Self.spec
        body["env"] = ["1BAD": "x"]
        #expect(try refusal(body)?.field == "env.1BAD")
        body = Self.spec
        body["resources"] = ["cpus": 0.001]
        #expect(
            try refusal(body) == APIError.invalidField("resources.cpus", "cpus is 0.01 to 1024 (fractions allowed)"))
        body = Self.spec
        body["queue"] = "Not A Queue"
        #expect(try refusal(body) == APIError.invalidField("queue", "a queue name is 1 to 64 of a-z, 0-9, - and _"))
        #expect(try refusal(Self.spec) == nil)
    }

    @Test("a rerun merges params and resources over the old spec and swaps an image for a template")
    func rerunOverrides() throws {
        var old = try Self.spec.decoded(as: JobSpec.self)
        old.image = "python:3.12-slim"
        old.params = ["a": 1, "b": 2]
        old.resources = ResourceRequest(cpus: 2, memoryMB: 512)
        let rerun = try (["params": ["b": 3], "resources": ["memoryMB": 1024], "template": "python-cpu"] as JSONValue)
            .decoded(as: JobRerun.self)
        let spec = rerun.applied(to: old)
        #expect(spec.params == ["a": 1, "b": 3])
        #expect(spec.resources == ResourceRequest(cpus: 2, memoryMB: 1024))
        #expect(spec.template == "python-cpu" && spec.image == nil)
    }
}
