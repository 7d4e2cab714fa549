import Foundation
import Platform
import PlatformTesting
import Testing

/// Deployments (docs/deployments.md): replicas of a tiny model behind one endpoint through
/// gateway → compute → agent → socket; invocations checked against the input schema; a
/// replica that dies is replaced; an idle deployment scales to zero and starts again on the
/// next request.
@Suite("Compute: deployments", .serialized, .timeLimit(.minutes(5)))
struct DeploymentTests {
    static let queue = "deployments"

    static let inputSchema: JSONValue = [
        "type": "object", "properties": ["x": ["type": "number", "minimum": -1000, "maximum": 1000]],
        "required": ["x"],
    ]

    static func spec(_ project: String, _ cluster: ComputeCluster, _ extra: [String: JSONValue]) -> JSONValue {
        var spec = pythonJob(
            project, EndpointModelServer.script,
            ["queue": .string(queue), "env": ["COMPUTE_PORT": .string(String(cluster.computePort))]])
        for (key, value) in extra { spec[key] = value }
        return spec
    }

    @Test(
        "replicas answer in turn through the gateway, only for the project; bad inputs are 400; a dead replica is replaced"
    )
    func servesReplicas() async throws {
        let cluster = try ComputeCluster.shared()
        let (gateway, agent, owner, outsider) = try await cluster.servingSetup(queue: Self.queue)
        defer { kill(agent, SIGTERM) }

        let created = try await cluster.compute(
            "POST", "/v1/deployments",
            Self.spec(owner.project, cluster, ["replicas": 2, "inputSchema": Self.inputSchema, "name": "doubler"]),
            token: owner.token)
        #expect(created.status == 201, "\(created.body.jsonText)")
        let id = try #require(created.body["id"]?.stringValue)
        #expect(created.body["endpointPath"] == .string("/deployments/\(id)/"))
        #expect(created.body["replicaJobs"]?.arrayValue?.count == 2)
        let base = gateway + "/deployments/\(id)"

        // The first request waits for a replica to start its server.
        let invoked = try await httpCall(
            base + "/invocations", "POST", ["inputs": [["x": 1], ["x": 2.5]]], token: owner.token)
        #expect(invoked.status == 200 && invoked.body["predictions"] == [2, 5.0], "\(invoked.body.jsonText)")
        var replicas = Set<String>()
        for _ in 0..<20 where replicas.count < 2 {
            let who = try await httpCall(base + "/whoami", "GET", token: owner.token)
            #expect(who.status == 200 && who.body["prefix"] == .string("/deployments/\(id)"), "\(who.body.jsonText)")
            if let replica = who.body["replica"]?.stringValue { replicas.insert(replica) }
        }
        #expect(replicas == ["0", "1"], "requests go to every replica in turn")

        // Invocations the schema refuses never reach a replica.
        for (body, field) in [
            (["inputs": [["x": 1], ["x": "two"]]] as JSONValue, "inputs.1.x"), (["inputs": [["y": 1]]], "inputs.0.y"),
            (["instances": [["x": 5000]]], "instances.0.x"), ("just text", "body"),
        ] {
            let refused = try await httpCall(base + "/invocations", "POST", body, token: owner.token)
            #expect(
                refused.status == 400 && refused.body["error"]?["field"] == .string(field), "\(refused.body.jsonText)")
        }
        #expect(try await httpCall(base + "/whoami", "GET", token: nil).status == 401)
        #expect(try await httpCall(base + "/whoami", "GET", token: outsider.token).status == 404)
        #expect(try await cluster.compute("GET", "/v1/deployments/\(id)", token: outsider.token).status == 404)
        let unknown = try await httpCall(gateway + "/deployments/\(ID.make())/whoami", "GET", token: owner.token)
        #expect(unknown.status == 404)

        let first = try await cluster.compute("GET", "/v1/deployments/\(id)", token: owner.token).body
        let firstJobs = Set(first["replicaJobs"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let lines = try await cluster.logLines(try #require(firstJobs.first), token: owner.token)
        #expect(lines.contains("network: blocked"), "a replica's sandbox has no network: \(lines)")

        // One replica dies; the reconciler replaces it and both answer again.
        _ = try? await httpCall(base + "/crash", "POST", [:], token: owner.token)
        let replaced = try await eventually(
            cluster.computeURL + "/v1/deployments/\(id)", token: owner.token, seconds: 60
        ) {
            view in
            let states = view["replicas"]?.arrayValue?.compactMap { $0["state"]?.stringValue } ?? []
            return view["restarts"] == 1 && states == ["running", "running"]
        }
        let jobs = Set(replaced["replicaJobs"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(jobs.count == 2 && jobs.intersection(firstJobs).count == 1, "\(replaced.jsonText)")
        var after = Set<String>()
        for _ in 0..<40 where after.count < 2 {
            let who = try await httpCall(base + "/whoami", "GET", token: owner.token)
            if who.status == 200, let job = who.body["job"]?.stringValue { after.insert(job) }
        }
        #expect(after == jobs, "the new replica answers too")

        let listed = try await cluster.compute("GET", "/v1/deployments?projectId=\(owner.project)", token: owner.token)
        #expect(listed.body["items"]?.arrayValue?.map { $0["id"] } == [.string(id)])
        let stopped = try await cluster.compute("DELETE", "/v1/deployments/\(id)", token: owner.token)
        #expect(stopped.status == 200 && stopped.body["state"] == "stopped", "\(stopped.body.jsonText)")
        for job in jobs { _ = try await cluster.finished(job, token: owner.token) }
        let gone = try await httpCall(base + "/whoami", "GET", token: owner.token)
        #expect(gone.status == 503 && gone.body["error"]?["field"] == "endpoint", "\(gone.body.jsonText)")
    }

    @Test("an idle deployment scales to zero, and the next request starts it again and is answered")
    func scalesToZeroAndBack() async throws {
        let cluster = try ComputeCluster.shared()
        let (gateway, agent, owner, _) = try await cluster.servingSetup(queue: Self.queue)
        defer { kill(agent, SIGTERM) }

        let created = try await cluster.compute(
            "POST", "/v1/deployments", Self.spec(owner.project, cluster, ["idleSeconds": 3]), token: owner.token)
        let id = try #require(created.body["id"]?.stringValue, "\(created.body.jsonText)")
        let base = gateway + "/deployments/\(id)"
        let warm = try await httpCall(base + "/invocations", "POST", ["inputs": [["x": 4]]], token: owner.token)
        #expect(warm.status == 200 && warm.body["predictions"] == [8], "\(warm.body.jsonText)")
        let firstJob = try #require(created.body["replicaJobs"]?.arrayValue?.first?.stringValue)

        let idle = try await eventually(cluster.computeURL + "/v1/deployments/\(id)", token: owner.token, seconds: 30) {
            $0["state"] == "idle"
        }
        #expect(idle["replicaJobs"] == [], "\(idle.jsonText)")
        #expect(try await cluster.finished(firstJob, token: owner.token)["state"] == "cancelled")

        let clock = ContinuousClock.now
        let cold = try await httpCall(base + "/invocations", "POST", ["inputs": [["x": 5]]], token: owner.token)
        let took = ContinuousClock.now - clock
        #expect(cold.status == 200 && cold.body["predictions"] == [10], "\(cold.body.jsonText)")
        let view = try await cluster.compute("GET", "/v1/deployments/\(id)", token: owner.token).body
        #expect(view["state"] == "active" && view["replicaJobs"]?.arrayValue?.count == 1, "\(view.jsonText)")
        let recorded = try #require(view["lastColdStartSeconds"]?.numberValue, "\(view.jsonText)")
        print("deployment cold start: \(recorded) s recorded by compute, \(took) seen by the client")
        #expect(recorded > 0)
        _ = try await cluster.compute("DELETE", "/v1/deployments/\(id)", token: owner.token)
        // The woken replica ends before the test's agent stops: a job outlives its agent (by
        // design), and this one was left serving on the machine after every test run.
        for job in view["replicaJobs"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            #expect(try await cluster.finished(job, token: owner.token)["state"] == "cancelled")
        }
    }

    @Test("a deployment's own fields and its replicas' job fields are checked, 400 naming each")
    func validation() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        for (extra, field) in [
            (["replicas": 0] as [String: JSONValue], "replicas"), (["replicas": 17], "replicas"),
            (["idleSeconds": 0], "idleSeconds"), (["inputSchema": ["type": "array"]], "inputSchema.type"),
            (["resources": ["cpus": -1]], "resources.cpus"), (["command": []], "command"),
        ] {
            let refused = try await cluster.compute(
                "POST", "/v1/deployments", Self.spec(owner.project, cluster, extra), token: owner.token)
            #expect(
                refused.status == 400 && refused.body["error"]?["field"] == .string(field), "\(refused.body.jsonText)")
        }
        let listed = try await cluster.compute("GET", "/v1/deployments?projectId=\(owner.project)", token: owner.token)
        #expect(listed.body["items"] == [], "nothing refused was stored")
    }
}
