import AsyncHTTPClient
import Foundation
import NIOCore
import Platform
import PlatformTesting

/// What a job endpoint's path costs (issue 31): the same trivial model — `POST /invocations`
/// `{"inputs": [{"x": n}]}` answering `{"predictions": [2n]}`, PlatformTesting's threaded
/// Python `EndpointModelServer` on the job's Unix socket — called on its socket directly,
/// through compute (→ agent → socket) and through the gateway (→ compute → agent → socket),
/// with 1 and 4 concurrent callers, in alternating rounds as the gateway benchmark does. Then a deployment's cold start: scaled to
/// zero after 1 s idle, the time from a request to its answer, several times.
///
/// Users, data, compute, one agent (local executor, the release supervisor) and the gateway run
/// in this process; the model runs in its sandbox as jobs do.
struct EndpointBenchmark {
    let directory: URL
    let requests: Int
    let coldStarts: Int
    let rounds = 3
    static let queue = "endpoints"

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let services = try await BenchServices.start(directory: directory)
        defer { services.stop() }
        let compute = try await BenchCompute.start(beside: services, directory: directory)
        defer { compute.task.cancel() }
        let gateway = try await services.startGateway(directory: directory, peers: compute.environment)
        defer { gateway.task.cancel() }
        let agent = try await compute.startAgent(queue: Self.queue)
        defer { agent.cancel() }

        let project =
            try await services.client.call("POST", "/v1/projects", #"{"name": "endpoints"}"#)["id"]?
            .stringValue ?? ""
        let spec: JSONValue = [
            "projectId": .string(project), "queue": .string(Self.queue),
            "command": ["/usr/bin/python3", "-c", .string(EndpointModelServer.script)],
            "resources": ["cpus": 1, "memoryMB": 256], "endpoint": ["kind": "http"],
        ]
        let job = try await compute.client.waitUntilRunning(
            try await compute.client.call("POST", "/v1/jobs", spec.jsonText)["id"]?.stringValue ?? "")
        let socket = try Self.socketLink(of: job)
        let token = compute.client.token ?? ""
        let targets = [
            ("on its socket", "http+unix://\(socket.replacingOccurrences(of: "/", with: "%2F"))/invocations"),
            ("via compute → agent", "\(compute.url)/v1/jobs/\(job)/endpoint/invocations"),
            ("via gateway → compute → agent", "\(gateway.url)/endpoints/\(job)/invocations"),
        ]
        // Waits for the server's socket, then fills every pool before anything is timed.
        for (_, url) in targets {
            for attempt in 0..<600 {
                do {
                    try await Self.invoke(url, token: token, x: attempt)
                    break
                } catch  where attempt < 599 {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            for index in 0..<200 { try await Self.invoke(url, token: token, x: index) }
        }

        for clients in [1, 4] {
            var rows = targets.map { Measurement(name: "POST /invocations, \($0.0)") }
            for _ in 0..<rounds {
                for (index, target) in targets.enumerated() {
                    let url = target.1
                    rows[index].add(
                        try await measureConcurrently("", clients: clients, count: requests) { x in
                            try await Self.invoke(url, token: token, x: x)
                        })
                }
            }
            Table.printRates(
                title: "Job endpoint: a trivial model, \(clients) concurrent caller\(clients == 1 ? "" : "s")",
                rows: rows, reference: "the same server called on its Unix socket", unit: "requests/s")
        }
        try await compute.client.call("POST", "/v1/jobs/\(job)/cancel")
        try await compute.client.waitUntilEnded(job)
        try await measureColdStarts(project: project, compute: compute, gateway: gateway.url, token: token)
    }

    /// A deployment scaled to zero after 1 s without requests, woken `coldStarts` times.
    private func measureColdStarts(
        project: String, compute: BenchCompute, gateway: String, token: String
    ) async throws {
        let spec: JSONValue = [
            "projectId": .string(project), "queue": .string(Self.queue),
            "command": ["/usr/bin/python3", "-c", .string(EndpointModelServer.script)],
            "resources": ["cpus": 1, "memoryMB": 256], "idleSeconds": 1,
        ]
        let id = try await compute.client.call("POST", "/v1/deployments", spec.jsonText)["id"]?.stringValue ?? ""
        let url = "\(gateway)/deployments/\(id)/invocations"
        try await Self.invoke(url, token: token, x: 1)
        var client = Measurement(name: "request → answer, at the client")
        var recorded = Measurement(name: "compute's lastColdStartSeconds")
        for attempt in 0..<coldStarts {
            while try await compute.client.call("GET", "/v1/deployments/\(id)")["state"] != "idle" {
                try await Task.sleep(for: .milliseconds(100))
            }
            let began = ContinuousClock.now
            try await Self.invoke(url, token: token, x: attempt)
            let took = ContinuousClock.now - began
            client.add(Measurement(name: "", operations: 1, elapsed: took, latencies: [took]))
            let seconds =
                try await compute.client.call("GET", "/v1/deployments/\(id)")["lastColdStartSeconds"]?
                .numberValue ?? 0
            let duration = Duration.milliseconds(Int64(seconds * 1000))
            recorded.add(Measurement(name: "", operations: 1, elapsed: duration, latencies: [duration]))
        }
        // Stopping forgets the replicas: read them first, to wait for their ends.
        let replicas = try await compute.client.call("GET", "/v1/deployments/\(id)")["replicaJobs"]
        try await compute.client.call("DELETE", "/v1/deployments/\(id)")
        for replica in replicas?.arrayValue?.compactMap(\.stringValue) ?? [] {
            try await compute.client.waitUntilEnded(replica)
        }
        print("\n## Deployment cold start from zero, \(coldStarts) times (through the gateway; 1 replica)")
        print(Table.pad("case", 44) + Table.pad("p50 ms", 10) + Table.pad("max ms", 10))
        for row in [client, recorded] {
            print(
                Table.pad(row.name, 44) + Table.pad(String(format: "%.0f", row.percentile(0.5).seconds * 1000), 10)
                    + Table.pad(String(format: "%.0f", (row.latencies.max() ?? .zero).seconds * 1000), 10))
        }
    }

    /// The agent's link to the job's socket (`/tmp/mlex-endpoints-<node>/<jobId>`).
    static func socketLink(of job: String) throws -> String {
        for directory in try FileManager.default.contentsOfDirectory(atPath: "/tmp")
        where directory.hasPrefix("mlex-endpoints-") {
            let link = "/tmp/\(directory)/\(job)"
            // The link, not what it points at: the server may not have bound its socket yet.
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) != nil { return link }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "no endpoint link for job \(job)"])
    }

    /// One invocation; throws unless it is answered 200 with the prediction.
    static func invoke(_ url: String, token: String, x: Int) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(string: #"{"inputs": [{"x": \#(x)}]}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status.code == 200, body.contains("\(2 * x)") else {
            throw CocoaError(
                .fileReadUnknown,
                userInfo: [NSLocalizedDescriptionKey: "\(url): \(response.status) \(body.prefix(200))"])
        }
    }
}
