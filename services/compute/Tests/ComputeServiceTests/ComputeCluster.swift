import AsyncHTTPClient
import Auth
import ComputeTestSupport
import Foundation
import NIOCore
import Platform
import PlatformTesting
import Testing

/// The real platform as separate processes (`LocalPlatform`) with one agent on the local
/// executor. Tests that kill or restart an agent start their own on a queue of their own.
struct ComputeCluster: Sendable {
    let platform: LocalPlatform
    let agentState: URL

    var users: UsersServer { platform.users }
    var dataURL: String { platform.dataURL }
    var computeURL: String { platform.computeURL }
    var computePort: Int { platform.computePort }

    static func shared() throws -> ComputeCluster { try started.get() }

    /// The node the shared agent offers: small enough that tests can fill it.
    static let nodeCPUs = 2.0
    static let nodeMemoryMB = 2048
    static let pidsLimit = 64

    private static let started: Result<ComputeCluster, any Error> = Result {
        let cluster = ComputeCluster(platform: try LocalPlatform.start(), agentState: try temporaryDirectory())
        stopAtExit(try cluster.startAgent(queue: "default", state: cluster.agentState))
        return cluster
    }

    /// Starts an agent process taking jobs from `queue`, keeping its state (node id, job dirs)
    /// in `state`; returns its pid once it serves its health port.
    func startAgent(queue: String, state: URL) throws -> pid_t {
        try platform.startAgent(
            queue: queue, state: state,
            node: .init(cpus: Self.nodeCPUs, memoryMB: Self.nodeMemoryMB, pidsLimit: Self.pidsLimit))
    }

    /// Starts an agent with the docker executor on the tests' own dockerd (see TestDockerDaemon).
    func startDockerAgent(queue: String, state: URL) async throws -> pid_t {
        let engine = try await TestDockerDaemon.shared.engine()
        return try platform.startAgent(
            queue: queue, state: state,
            node: .init(cpus: Self.nodeCPUs, memoryMB: Self.nodeMemoryMB, pidsLimit: Self.pidsLimit),
            environment: ["MLEX_AGENT_EXECUTOR": "docker", "MLEX_AGENT_DOCKER_SOCKET": engine.socketPath]
        )
    }

    /// What a test of endpoints needs: the gateway, an agent of its own taking `queue` (its pid:
    /// the test kills it), an owner with a project and an outsider, once the agent's node is online.
    func servingSetup(
        queue: String
    ) async throws -> (
        gateway: String, agent: pid_t, owner: (id: String, token: String, project: String),
        outsider: (id: String, token: String, project: String)
    ) {
        let gateway = try platform.startGateway()
        let agent = try startAgent(queue: queue, state: try temporaryDirectory())
        do {
            let owner = try await newOwner()
            let outsider = try await newOwner()
            try await waitForNode(queue: queue, token: owner.token)
            return (gateway, agent, owner, outsider)
        } catch {
            kill(agent, SIGTERM)
            throw error
        }
    }

    /// Waits until compute lists the node of the agent taking `queue` as online, heartbeating
    /// after `since` (a restarted agent registers again): only then are its jobs accepted.
    func waitForNode(queue: String, since: Date = .distantPast, token: String) async throws {
        try await withRetries(300) {
            let nodes = try await compute("GET", "/v1/nodes", token: token).body["items"]?.arrayValue ?? []
            guard let node = nodes.first(where: { $0["name"] == .string("test-\(queue)") }), node["state"] == "online",
                let beat = node["lastHeartbeat"]?.stringValue.flatMap(Timestamp.parse), beat > since
            else { throw POSIXError(.EAGAIN) }
        }
    }

    // MARK: calls

    @discardableResult
    func compute(
        _ method: String, _ path: String, _ body: JSONValue? = nil, token: String?
    ) async throws -> (status: Int, body: JSONValue) {
        try await Self.call(computeURL + path, method, body, token: token)
    }

    @discardableResult
    func data(
        _ method: String, _ path: String, _ body: JSONValue? = nil, token: String?
    ) async throws -> (status: Int, body: JSONValue) {
        try await Self.call(dataURL + path, method, body, token: token)
    }

    static func call(
        _ url: String, _ method: String, _ body: JSONValue?, token: String?
    ) async throws -> (status: Int, body: JSONValue) {
        try await httpCall(url, method, body, token: token)
    }

    /// The raw bytes of a GET (downloads, event streams that end).
    func bytes(_ url: String, token: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        return String(buffer: try await response.body.collect(upTo: 64 << 20))
    }

    /// PUTs `bytes` to `url` (a run's or a dataset version's file in data).
    func put(_ url: String, _ bytes: Data, token: String) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(data: bytes))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let answer = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect((200..<300).contains(Int(response.status.code)), "PUT \(url): \(answer)")
    }

    /// A finalized dataset version of `project` holding `files` (path: text): a job's input.
    func finalDatasetVersion(_ project: String, files: [String: String], token: String) async throws -> String {
        let dataset = try await data("POST", "/v1/projects/\(project)/datasets", ["name": "rows"], token: token).body
        let version = try await data(
            "POST", "/v1/datasets/\(dataset["id"]?.stringValue ?? "")/versions", [:], token: token
        ).body
        let versionID = try #require(version["id"]?.stringValue, "\(version)")
        for (path, text) in files {
            try await put(dataURL + "/v1/dataset-versions/\(versionID)/files/\(path)", Data(text.utf8), token: token)
        }
        try await data("POST", "/v1/dataset-versions/\(versionID)/finalize", token: token)
        return versionID
    }

    /// A new user with a new project: (user id, token, project id).
    func newOwner() async throws -> (id: String, token: String, project: String) {
        try await platform.newOwner("compute")
    }

    /// Submits a job; fails the test unless it was accepted.
    func submit(_ spec: JSONValue, token: String) async throws -> String {
        let answer = try await compute("POST", "/v1/jobs", spec, token: token)
        #expect(answer.status == 201, "\(answer.body)")
        return try #require(answer.body["id"]?.stringValue, "\(answer.body)")
    }

    /// Waits (up to `seconds`) until the job is in one of `states`; its last view.
    func waitFor(_ jobID: String, _ states: Set<String>, token: String, seconds: Int = 90) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        var last: JSONValue = .null
        while Date() < deadline {
            last = try await compute("GET", "/v1/jobs/\(jobID)", token: token).body
            if let state = last["state"]?.stringValue, states.contains(state) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("job \(jobID) never became \(states.sorted()): \(last.jsonText)")
        throw POSIXError(.ETIMEDOUT)
    }

    /// Waits until the job has ended.
    func finished(_ jobID: String, token: String, seconds: Int = 90) async throws -> JSONValue {
        try await waitFor(jobID, ["succeeded", "failed", "cancelled", "timed_out"], token: token, seconds: seconds)
    }

    /// Every log line of a job, through compute.
    func logLines(_ jobID: String, token: String) async throws -> [String] {
        let page = try await compute("GET", "/v1/jobs/\(jobID)/logs?limit=5000", token: token)
        return (page.body["items"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
    }
}

/// A token of the compute service itself, from the shared users service: what agents drive
/// nodes with, for tests that play a node's agent by hand.
func computeServiceToken() async throws -> String {
    let users = try UsersServer.shared()
    let credential = try ServiceCredential.load(.compute, stateDirectory: users.stateDirectory, file: "")
    let session = try await users.call(
        "POST", "/v1/sessions/service",
        (["service": "compute", "credential": .string(credential)] as JSONValue).jsonText)
    return try #require(session["accessToken"]?.stringValue, "\(session)")
}

/// A job spec running `script` with python3 -c.
func pythonJob(_ project: String, _ script: String, _ extra: [String: JSONValue] = [:]) -> JSONValue {
    var spec: [String: JSONValue] = [
        "projectId": .string(project), "command": ["/usr/bin/python3", "-c", .string(script)],
        "resources": ["cpus": 0.5, "memoryMB": 256],
    ]
    for (key, value) in extra { spec[key] = value }
    return .object(spec)
}
