import AsyncHTTPClient
import DataService
import Foundation
import Hummingbird
import Logging
import NIOCore
import Platform
import UsersService
import WebGateway

/// The users and data services running in this process on loopback ports, as the data
/// benchmarks need them, with a client signed in as a fresh user.
struct BenchServices {
    let client: APIClient
    /// What another service in this process needs to join these two (peers, bus, db dir).
    let environment: [String: String]
    private let dataSettings: ServiceSettings
    private let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    private let usersTask: Task<Void, any Error>
    private var dataTask: Task<Void, any Error>

    static func start(directory: URL) async throws -> BenchServices {
        let usersPort = try LoopbackPort.free()
        let dataPort = try LoopbackPort.free()
        let environment = [
            // A day-long access token: loading 100k runs outlasts the default 15 minutes.
            "MLEX_USERS_BCRYPT_COST": "4", "MLEX_USERS_ACCESS_TOKEN_MINUTES": "1440",
            "MLEX_ADMIN_EMAIL": "root@bench.example",
            "MLEX_USERS_URL": "http://127.0.0.1:\(usersPort)",
            "MLEX_DB_DIR": FileManager.default.currentDirectoryPath + "/db", "MLEX_LOG_LEVEL": "error",
        ]
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let usersSettings = try await ServiceSettings.forTesting(
            .users, stateDirectory: directory, extraSettings: UsersApp.extraSettings,
            environment: environment.merging(["MLEX_USERS_PORT": String(usersPort)]) { $1 })
        let usersTask = try await run(UsersApp.buildApplication(settings: usersSettings, logger: logger))
        let dataSettings = try await ServiceSettings.forTesting(
            .data, stateDirectory: directory, extraSettings: DataApp.extraSettings,
            environment: environment.merging(["MLEX_DATA_PORT": String(dataPort)]) { $1 })
        let dataTask = try await run(DataApp.buildApplication(settings: dataSettings, logger: logger))

        let users = APIClient(base: "http://127.0.0.1:\(usersPort)")
        try await users.call(
            "POST", "/v1/users",
            #"{"email": "ada@bench.example", "password": "a long enough pass", "displayName": "Ada"}"#)
        let session = try await users.call(
            "POST", "/v1/sessions", #"{"email": "ada@bench.example", "password": "a long enough pass"}"#)
        let client = APIClient(base: "http://127.0.0.1:\(dataPort)")
        client.token = session["accessToken"]?.stringValue
        let peers = environment.merging(["MLEX_DATA_URL": "http://127.0.0.1:\(dataPort)"]) { $1 }
        return BenchServices(
            client: client, environment: peers, dataSettings: dataSettings, usersTask: usersTask, dataTask: dataTask)
    }

    /// Stops the data service and starts it again on the same state (a restart).
    mutating func restartData() async throws {
        dataTask.cancel()
        _ = await dataTask.result
        dataTask = try await Self.run(DataApp.buildApplication(settings: dataSettings, logger: logger))
    }

    func stop() {
        usersTask.cancel()
        dataTask.cancel()
    }

    /// The gateway in this process in front of these services, on a free port: its base URL and
    /// the task serving it (cancel it to stop). It serves the web application from the repo.
    /// `peers` adds other services' URLs (`MLEX_COMPUTE_URL`).
    func startGateway(
        directory: URL, peers: [String: String] = [:]
    ) async throws -> (
        url: String, task: Task<Void, any Error>
    ) {
        let port = try LoopbackPort.free()
        let settings = try await ServiceSettings.forTesting(
            .web, stateDirectory: directory, extraSettings: Gateway.extraSettings,
            environment: environment.merging(peers) { $1 }.merging([
                "MLEX_WEB_PORT": String(port),
                "MLEX_WEB_ASSETS": FileManager.default.currentDirectoryPath + "/apps/web/Public",
            ]) { $1 })
        let task = try await Self.run(Gateway.buildApplication(settings: settings, logger: logger))
        return ("http://127.0.0.1:\(port)", task)
    }

    /// Runs `app` until the task is cancelled; returns once it has had time to listen.
    static func run(_ app: sending some ApplicationProtocol) async throws -> Task<Void, any Error> {
        let task = Task { try await app.runService() }
        try await Task.sleep(for: .milliseconds(500))
        return task
    }
}

/// JSON over HTTP to one service, with a bearer token once signed in.
final class APIClient: @unchecked Sendable {
    let base: String
    var token: String?

    init(base: String) {
        self.base = base
    }

    @discardableResult
    func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        guard response.status.code < 300 else {
            throw CocoaError(
                .fileReadUnknown,
                userInfo: [NSLocalizedDescriptionKey: "\(method) \(path): \(response.status) \(text.prefix(300))"])
        }
        return text.isEmpty ? .null : try JSONValue.parse(text)
    }
}
