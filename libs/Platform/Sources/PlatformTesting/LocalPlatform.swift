import Auth
import Foundation
import Platform

/// Users (shared), data, compute and agents as real processes, as `make run` starts them, each on
/// a free port and stopped by pid at exit: what compute's and tag's service tests and the
/// end-to-end CLI test run against. Agents, other services and the gateway start on demand.
public struct LocalPlatform: Sendable {
    public let users: UsersServer
    public let dataURL: String
    public let computeURL: String
    public let computePort: Int
    /// Data's log file, for a failing test to quote.
    public let dataLog: URL
    /// Data's process, which a test may stop (`SIGSTOP`) to see clients ride out an outage.
    public let dataPID: pid_t

    /// The node an agent offers, small enough that tests can fill it.
    public struct Node: Sendable {
        public var cpus: Double
        public var memoryMB: Int
        public var pidsLimit: Int
        public init(cpus: Double, memoryMB: Int, pidsLimit: Int) {
            self.cpus = cpus
            self.memoryMB = memoryMB
            self.pidsLimit = pidsLimit
        }
    }

    /// Starts data and compute on the bus of `users` (the shared users service by default);
    /// nodes time out after 3 s so lost-node tests finish quickly. `computeEnvironment` adds
    /// compute settings (a quota, say).
    public static func start(
        users given: UsersServer? = nil, computeEnvironment: [String: String] = [:]
    ) throws -> LocalPlatform {
        let users = try given ?? UsersServer.shared()
        let common = try commonEnvironment(users)
        let dataPort = try freePort()
        let computePort = try freePort()
        let dataState = try temporaryDirectory()
        let computeState = try temporaryDirectory()
        let dataURL = "http://127.0.0.1:\(dataPort)"
        let computeURL = "http://127.0.0.1:\(computePort)"
        let dataPID = try startPlatformProcess(
            "mlex-data",
            environment: common.merging([
                "MLEX_STATE_DIR": dataState.path, "MLEX_DATA_PORT": String(dataPort), "MLEX_DATA_HOST": "127.0.0.1",
                "MLEX_SERVICE_CREDENTIAL_FILE": try credentialFile(.data, users),
            ]) { $1 }, port: dataPort, log: dataState.appendingPathComponent("service.log"))
        stopAtExit(dataPID)
        stopAtExit(
            try startPlatformProcess(
                "mlex-compute",
                environment: common.merging(
                    [
                        "MLEX_STATE_DIR": computeState.path, "MLEX_COMPUTE_PORT": String(computePort),
                        "MLEX_COMPUTE_HOST": "127.0.0.1",
                        "MLEX_DATA_URL": dataURL, "MLEX_COMPUTE_NODE_TIMEOUT_SECONDS": "3",
                    ].merging(computeEnvironment) { $1 }
                ) { $1 }, port: computePort, log: computeState.appendingPathComponent("service.log")))
        return LocalPlatform(
            users: users, dataURL: dataURL, computeURL: computeURL, computePort: computePort,
            dataLog: dataState.appendingPathComponent("service.log"), dataPID: dataPID)
    }

    /// Starts an agent process named `test-<queue>` taking jobs from `queue`, keeping its state
    /// (node id, job dirs) in `state`; returns its pid once it serves its health port.
    /// `environment` adds to or overrides the agent's settings (e.g. `MLEX_AGENT_EXECUTOR`).
    public func startAgent(queue: String, state: URL, node: Node, environment: [String: String] = [:]) throws -> pid_t {
        let port = try freePort()
        return try startPlatformProcess(
            "mlex-compute-agent",
            environment: try Self.commonEnvironment(users).merging(
                [
                    "MLEX_STATE_DIR": state.path, "MLEX_AGENT_PORT": String(port), "MLEX_COMPUTE_HOST": "127.0.0.1",
                    "MLEX_DATA_URL": dataURL, "MLEX_COMPUTE_URL": computeURL, "MLEX_AGENT_QUEUES": queue,
                    "MLEX_AGENT_NAME": "test-\(queue)",
                    "MLEX_AGENT_CPUS": String(node.cpus), "MLEX_AGENT_MEMORY_MB": String(node.memoryMB),
                    "MLEX_AGENT_PIDS_LIMIT": String(node.pidsLimit),
                    "MLEX_AGENT_HEARTBEAT_SECONDS": "1",
                ].merging(environment) { $1 }
            ) { $1 }, port: port, log: state.appendingPathComponent("agent-\(port).log"))
    }

    /// Starts another service (`mlex-tag`, …) on the shared users service and bus, keeping its
    /// state in `state`; its URL and pid (the caller stops it, or `stopAtExit`).
    public func startService(_ service: ServiceName, state: URL) throws -> (url: String, pid: pid_t) {
        let port = try freePort()
        let name = service.rawValue.uppercased()
        let pid = try startPlatformProcess(
            "mlex-\(service.rawValue)",
            environment: try Self.commonEnvironment(users).merging([
                "MLEX_STATE_DIR": state.path, "MLEX_\(name)_PORT": String(port), "MLEX_\(name)_HOST": "127.0.0.1",
                "MLEX_DATA_URL": dataURL, "MLEX_COMPUTE_URL": computeURL,
                "MLEX_SERVICE_CREDENTIAL_FILE": try Self.credentialFile(service, users),
            ]) { $1 }, port: port, log: state.appendingPathComponent("service.log"))
        return ("http://127.0.0.1:\(port)", pid)
    }

    /// A new user (`<prefix>-<random>@lab.example`) owning a new project: (user id, token, project id).
    public func newOwner(_ prefix: String) async throws -> (id: String, token: String, project: String) {
        let user = try await users.signUp("\(prefix)-\(ID.make().suffix(12))@lab.example")
        let project = try await httpCall(
            dataURL + "/v1/projects", "POST", ["name": .string("p-\(ID.make().suffix(8))")], token: user.token)
        guard let id = project.body["id"]?.stringValue else {
            throw POSIXError(.EIO, "creating a project failed: \(project.body.jsonText)")
        }
        return (user.id, user.token, id)
    }

    /// Starts the gateway in front of users, data and compute; its URL (stopped at exit).
    /// `environment` adds settings: other services' URLs (`MLEX_MLHUB_URL`), the web assets.
    public func startGateway(environment: [String: String] = [:]) throws -> String {
        let port = try freePort()
        stopAtExit(
            try startPlatformProcess(
                "mlex-web",
                environment: [
                    "MLEX_STATE_DIR": try temporaryDirectory().path, "MLEX_CONFIG_DIR": "/nonexistent",
                    "MLEX_WEB_PORT": String(port),
                    "MLEX_WEB_HOST": "127.0.0.1", "MLEX_USERS_URL": users.url, "MLEX_DATA_URL": dataURL,
                    "MLEX_COMPUTE_URL": computeURL,
                    "MLEX_SERVICE_CREDENTIAL_FILE": try Self.credentialFile(.web, users),
                ].merging(environment) { $1 }, port: port))
        return "http://127.0.0.1:\(port)"
    }

    static func commonEnvironment(_ users: UsersServer) throws -> [String: String] {
        users.environment().merging([
            "MLEX_CONFIG_DIR": "/nonexistent", "MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path,
            "MLEX_STORE": "",
            "MLEX_SERVICE_CREDENTIAL_FILE": try credentialFile(.compute, users),
        ]) { $1 }
    }

    /// The credential the users service expects of `service` (generated in its state dir).
    public static func credentialFile(_ service: ServiceName, _ users: UsersServer) throws -> String {
        _ = try ServiceCredential.load(service, stateDirectory: users.stateDirectory, file: "")
        return users.stateDirectory.appendingPathComponent("secrets").appendingPathComponent(
            ServiceCredential.fileName(service)
        ).path
    }
}
