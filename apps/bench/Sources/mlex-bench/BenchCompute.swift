import ComputeAgent
import ComputeService
import Foundation
import Logging
import Platform

/// Compute and its agents in this process beside `BenchServices`, as the benchmarks of jobs
/// need them: compute on a free port, signed in with the services' user, and agents on the
/// local executor taking the queues they are given.
struct BenchCompute {
    let url: String
    let client: APIClient
    /// The services' environment with compute's URL: what the gateway and agents join with.
    let environment: [String: String]
    let task: Task<Void, any Error>
    private let directory: URL
    private let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

    static func start(beside services: BenchServices, directory: URL) async throws -> BenchCompute {
        let port = try LoopbackPort.free()
        let url = "http://127.0.0.1:\(port)"
        let environment = services.environment.merging(["MLEX_COMPUTE_PORT": String(port), "MLEX_COMPUTE_URL": url]) {
            $1
        }
        let task = try await BenchServices.run(
            ComputeApp.buildApplication(
                settings: try await ServiceSettings.forTesting(
                    .compute, stateDirectory: directory, extraSettings: ComputeApp.extraSettings,
                    environment: environment),
                logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })))
        let client = APIClient(base: url)
        client.token = services.client.token
        return BenchCompute(url: url, client: client, environment: environment, task: task, directory: directory)
    }

    /// An agent taking `queue`, its jobs run by the supervisor built beside this benchmark;
    /// returns once compute lists a node.
    func startAgent(queue: String) async throws -> Task<Void, any Error> {
        let settings = try await ServiceSettings.forTesting(
            .compute, stateDirectory: directory, extraSettings: AgentApp.extraSettings,
            environment: environment.merging([
                "MLEX_AGENT_PORT": String(try LoopbackPort.free()), "MLEX_AGENT_QUEUES": queue,
                "MLEX_AGENT_HEARTBEAT_SECONDS": "1",
            ]) { $1 })
        let executable = URL(
            fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let supervisor = executable.deletingLastPathComponent().appendingPathComponent("mlex-compute-supervisor").path
        let task = try await BenchServices.run(
            AgentApp.buildApplication(settings: settings, logger: logger, metrics: .init(), supervisor: [supervisor]))
        for _ in 0..<100 where (try? await client.call("GET", "/v1/nodes"))?["items"]?.arrayValue?.isEmpty != false {
            try await Task.sleep(for: .milliseconds(100))
        }
        return task
    }
}

extension APIClient {
    /// Waits until the job is running; its id.
    func waitUntilRunning(_ id: String) async throws -> String {
        for _ in 0..<600 {
            let state = try await call("GET", "/v1/jobs/\(id)")["state"]?.stringValue
            if state == "running" { return id }
            guard state == "queued" || state == "scheduled" else {
                throw CocoaError(
                    .fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "job \(id) ended \(state ?? "?")"])
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "job \(id) never ran"])
    }

    /// Waits until the job has ended (its agent has unmounted its disk and removed its cgroup),
    /// so that stopping the agent next leaves nothing behind.
    func waitUntilEnded(_ id: String) async throws {
        for _ in 0..<600 {
            let state = try await call("GET", "/v1/jobs/\(id)")["state"]?.stringValue ?? ""
            if ["succeeded", "failed", "cancelled", "timed_out"].contains(state) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
