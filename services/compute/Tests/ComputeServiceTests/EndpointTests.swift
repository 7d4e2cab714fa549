import Foundation
import PlatformTesting
import Testing

/// Jobs that serve an endpoint (docs/endpoints.md): a job listening on its Unix socket answers
/// through gateway → compute → agent → socket, for its project's members with a token only;
/// its sandbox still has no network; the endpoint closes when the job ends.
@Suite("Compute: job endpoints", .serialized, .timeLimit(.minutes(4)))
struct EndpointTests {
    static let queue = "endpoints"

    @Test("a job's endpoint answers its project through the gateway, refuses others, and closes when the job ends")
    func servesThroughTheGateway() async throws {
        let cluster = try ComputeCluster.shared()
        let (gateway, agent, owner, outsider) = try await cluster.servingSetup(queue: Self.queue)
        defer { kill(agent, SIGTERM) }

        let jobID = try await cluster.submit(
            pythonJob(
                owner.project, EndpointModelServer.script,
                [
                    "queue": .string(Self.queue), "endpoint": ["kind": "http"],
                    "env": ["COMPUTE_PORT": .string(String(cluster.computePort))],
                ]), token: owner.token)
        let running = try await cluster.waitFor(jobID, ["running"], token: owner.token)
        #expect(running["endpointPath"] == .string("/endpoints/\(jobID)/"), "\(running.jsonText)")
        #expect(running["endpointKey"] == nil, "the key stays between compute and the agent")

        // The server needs a moment after the job is running to bind its socket.
        let base = gateway + "/endpoints/\(jobID)"
        var echo = try await httpCall(base + "/status?q=1", "GET", token: owner.token)
        for _ in 0..<100 where echo.status != 200 {
            try await Task.sleep(for: .milliseconds(200))
            echo = try await httpCall(base + "/status?q=1", "GET", token: owner.token)
        }
        #expect(echo.status == 200, "\(echo.body.jsonText)")
        #expect(echo.body["path"] == "/status?q=1")
        #expect(echo.body["user"] == .string(owner.id))
        #expect(echo.body["authorization"] == .null && echo.body["key"] == .null, "\(echo.body.jsonText)")
        #expect(echo.body["prefix"] == .string("/endpoints/\(jobID)"))
        // The job sees its own path as sent: the root, a trailing slash, an escaped character.
        for (sent, seen) in [("/", "/"), ("/a/b/", "/a/b/"), ("/x%20y", "/x%20y")] {
            let answer = try await httpCall(base + sent, "GET", token: owner.token)
            #expect(answer.body["path"] == .string(seen), "\(sent): \(answer.body.jsonText)")
        }

        let invoked = try await httpCall(base + "/invocations", "POST", ["x": 21], token: owner.token)
        #expect(invoked.status == 200 && invoked.body["y"] == 42, "\(invoked.body.jsonText)")

        // No token: 401 from compute; another project's user: the job does not exist for them.
        let anonymous = try await httpCall(base + "/status", "GET", token: nil)
        #expect(anonymous.status == 401, "\(anonymous.body.jsonText)")
        let stranger = try await httpCall(base + "/status", "GET", token: outsider.token)
        #expect(stranger.status == 404, "\(stranger.body.jsonText)")

        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(lines.contains("network: blocked") && lines.contains("serving"), "\(lines)")

        // A job that declared none has no endpoint, running or not.
        let plain = try await cluster.submit(
            pythonJob(owner.project, "pass", ["queue": .string(Self.queue)]), token: owner.token)
        let none = try await httpCall(gateway + "/endpoints/\(plain)/", "GET", token: owner.token)
        #expect(none.status == 404 && none.body["error"]?["field"] == "endpoint", "\(none.body.jsonText)")
        #expect(try await cluster.compute("GET", "/v1/jobs/\(plain)", token: owner.token).body["endpointPath"] == nil)

        #expect(try await cluster.compute("POST", "/v1/jobs/\(jobID)/cancel", token: owner.token).status == 202)
        _ = try await cluster.finished(jobID, token: owner.token)
        let ended = try await httpCall(base + "/status", "GET", token: owner.token)
        #expect(ended.status == 503 && ended.body["error"]?["field"] == "endpoint", "\(ended.body.jsonText)")
    }

    @Test("an endpoint of a kind the platform does not serve is 400 naming endpoint.kind")
    func badKind() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let bad = try await cluster.compute(
            "POST", "/v1/jobs", pythonJob(owner.project, "pass", ["endpoint": ["kind": "grpc"]]), token: owner.token)
        #expect(bad.status == 400 && bad.body["error"]?["field"] == "endpoint.kind", "\(bad.body.jsonText)")
    }
}
