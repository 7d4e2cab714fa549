import Foundation
import Platform
import PlatformTesting
import Testing

/// The order the scheduler promises, on a node of each test's own (2 CPUs, its own queue) so no
/// other test's jobs interleave: a blocker that never ends by itself holds the node while jobs
/// queue, and cancelling it lets them run — every check follows an event, none a clock.
@Suite("compute: scheduling order")
struct SchedulingOrderTests {
    /// An agent taking jobs from a queue of its own, and an owner whose jobs go there.
    func privateNode() async throws -> (
        cluster: ComputeCluster, queue: String, owner: (id: String, token: String, project: String)
    ) {
        let cluster = try ComputeCluster.shared()
        let queue = "order-\(ID.make().suffix(8).lowercased())"
        stopAtExit(try cluster.startAgent(queue: queue, state: try temporaryDirectory()))
        let owner = try await cluster.newOwner()
        try await cluster.waitForNode(queue: queue, token: owner.token)
        return (cluster, queue, owner)
    }

    func job(
        _ project: String, queue: String, cpus: Double, priority: Int? = nil, command: [JSONValue] = ["/bin/true"]
    ) -> JSONValue {
        var spec: [String: JSONValue] = [
            "projectId": .string(project), "queue": .string(queue), "command": .array(command),
            "resources": ["cpus": .double(cpus), "memoryMB": 64],
        ]
        if let priority { spec["priority"] = .int(Int64(priority)) }
        return .object(spec)
    }

    static let forever: [JSONValue] = ["/bin/sleep", "600"]

    @Test(
        "higher priority first, first come first within a priority; a cancelled queued job never runs",
        .timeLimit(.minutes(3)))
    func priorityThenFIFO() async throws {
        let (cluster, queue, owner) = try await privateNode()
        let blocker = try await cluster.submit(
            job(owner.project, queue: queue, cpus: 2, command: Self.forever), token: owner.token)
        _ = try await cluster.waitFor(blocker, ["running"], token: owner.token)
        // Each needs the whole node, so they run one at a time, in the order they are claimed.
        var submitted: [(name: String, id: String)] = []
        for (name, priority) in [
            ("low", 10), ("high", 90), ("mid", 50), ("high-later", 90), ("dropped", 95), ("mid-later", 50),
        ] {
            submitted.append(
                (
                    name,
                    try await cluster.submit(
                        job(owner.project, queue: queue, cpus: 2, priority: priority), token: owner.token)
                ))
        }
        let dropped = try #require(submitted.first { $0.name == "dropped" }?.id)
        #expect(try await cluster.compute("POST", "/v1/jobs/\(dropped)/cancel", token: owner.token).status == 202)
        _ = try await cluster.waitFor(dropped, ["cancelled"], token: owner.token)
        for (_, id) in submitted {
            #expect(
                try await cluster.compute("GET", "/v1/jobs/\(id)", token: owner.token).body["state"] == "queued"
                    || id == dropped)
        }

        #expect(try await cluster.compute("POST", "/v1/jobs/\(blocker)/cancel", token: owner.token).status == 202)
        var scheduled: [(name: String, at: Date)] = []
        for (name, id) in submitted where id != dropped {
            let ended = try await cluster.finished(id, token: owner.token)
            #expect(ended["state"] == "succeeded", "\(ended.jsonText)")
            scheduled.append((name, try #require(ended["scheduledAt"]?.stringValue.flatMap(Timestamp.parse))))
        }
        #expect(scheduled.sorted { $0.at < $1.at }.map(\.name) == ["high", "high-later", "mid", "mid-later", "low"])
        let never = try await cluster.compute("GET", "/v1/jobs/\(dropped)", token: owner.token).body
        #expect(
            never["state"] == "cancelled" && (never["scheduledAt"] ?? .null) == .null
                && (never["nodeId"] ?? .null) == .null, "\(never.jsonText)")
    }

    @Test("a small job that fits passes a big one that does not fit yet", .timeLimit(.minutes(3)))
    func smallPassesBig() async throws {
        let (cluster, queue, owner) = try await privateNode()
        let blocker = try await cluster.submit(
            job(owner.project, queue: queue, cpus: 1.5, command: Self.forever), token: owner.token)
        _ = try await cluster.waitFor(blocker, ["running"], token: owner.token)
        let big = try await cluster.submit(job(owner.project, queue: queue, cpus: 1, priority: 90), token: owner.token)
        let small = try await cluster.submit(
            job(owner.project, queue: queue, cpus: 0.5, priority: 10), token: owner.token)
        // The blocker runs until cancelled: the small one can only have run beside it.
        #expect(try await cluster.finished(small, token: owner.token)["state"] == "succeeded")
        #expect(try await cluster.compute("GET", "/v1/jobs/\(big)", token: owner.token).body["state"] == "queued")
        #expect(try await cluster.compute("POST", "/v1/jobs/\(blocker)/cancel", token: owner.token).status == 202)
        #expect(try await cluster.finished(big, token: owner.token)["state"] == "succeeded")
    }

    @Test("a user at their quota of active jobs waits while another user's job runs", .timeLimit(.minutes(3)))
    func quotaPerUser() async throws {
        let platform = try LocalPlatform.start(computeEnvironment: ["MLEX_COMPUTE_MAX_ACTIVE_JOBS_PER_USER": "1"])
        stopAtExit(
            try platform.startAgent(
                queue: "default", state: try temporaryDirectory(), node: .init(cpus: 2, memoryMB: 2048, pidsLimit: 64)))
        let busy = try await platform.newOwner("quota")
        let other = try await platform.newOwner("quota")
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String) async throws -> JSONValue {
            try await httpCall(platform.computeURL + path, method, body, token: token).body
        }
        func state(_ job: String, becomes expected: Set<String>, token: String) async throws -> JSONValue {
            for _ in 0..<900 {
                let view = try await call("GET", "/v1/jobs/\(job)", token: token)
                if expected.contains(view["state"]?.stringValue ?? "") { return view }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw POSIXError(.ETIMEDOUT)
        }
        for _ in 0..<300
        where try await call("GET", "/v1/nodes", token: busy.token)["items"]?.arrayValue?.contains(where: {
            $0["state"] == "online"
        }) != true {
            try await Task.sleep(for: .milliseconds(100))
        }
        func submit(
            _ owner: (id: String, token: String, project: String), _ command: [JSONValue]
        ) async throws -> String {
            let spec = job(owner.project, queue: "default", cpus: 0.5, command: command)
            return try #require(try await call("POST", "/v1/jobs", spec, token: owner.token)["id"]?.stringValue)
        }
        let holding = try await submit(busy, Self.forever)
        _ = try await state(holding, becomes: ["running"], token: busy.token)
        let waiting = try await submit(busy, ["/bin/true"])
        let passing = try await submit(other, ["/bin/true"])
        // The node has room for both; only the quota holds the first user's second job back.
        #expect(try await state(passing, becomes: ["succeeded", "failed"], token: other.token)["state"] == "succeeded")
        #expect(try await call("GET", "/v1/jobs/\(waiting)", token: busy.token)["state"] == "queued")
        _ = try await call("POST", "/v1/jobs/\(holding)/cancel", token: busy.token)
        #expect(try await state(waiting, becomes: ["succeeded", "failed"], token: busy.token)["state"] == "succeeded")
    }
}
