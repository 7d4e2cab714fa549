import AsyncHTTPClient
import Foundation
import NIOCore
import Platform
import Testing

/// The real users service (`mlex-users`, built by `swift build`) as a separate process, shared
/// by every test of a test process and stopped by pid at exit: how the other services' tests
/// get genuine tokens, keys and `mlex.users` events without importing the users target.
/// A service under test joins it through `environment(stateDirectory:)`.
public struct UsersServer: Sendable {
    public static let adminEmail = "root@lab.example"
    public static let adminPassword = "correct horse battery"

    public let url: String
    /// The users process's state directory; its `bus.sqlite` is the embedded bus it publishes to
    /// (unless it was started on another bus).
    public let stateDirectory: URL
    /// The bus it was started on; nil: the embedded log in its state directory.
    public let bus: String?

    public static func shared() throws -> UsersServer { try started.get() }

    private static let started: Result<UsersServer, any Error> = Result { try start(bus: nil) }

    /// A users process of its own on `bus` (e.g. `kafka://…` for a platform on Kafka), stopped at exit.
    public static func start(bus: String?) throws -> UsersServer {
        let port = try freePort()
        let state = try temporaryDirectory()
        let passwordFile = state.appendingPathComponent("admin-password")
        try adminPassword.write(to: passwordFile, atomically: true, encoding: .utf8)
        let pid = try startPlatformProcess(
            "mlex-users",
            environment: [
                "MLEX_STATE_DIR": state.path, "MLEX_CONFIG_DIR": "/nonexistent", "MLEX_USERS_PORT": String(port),
                "MLEX_USERS_HOST": "127.0.0.1",
                "MLEX_USERS_BCRYPT_COST": "4", "MLEX_ADMIN_EMAIL": adminEmail,
                "MLEX_ADMIN_PASSWORD_FILE": passwordFile.path,
                "MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": "",
                "MLEX_BUS": bus ?? "",
            ], port: port)
        stopAtExit(pid)
        return UsersServer(url: "http://127.0.0.1:\(port)", stateDirectory: state, bus: bus)
    }

    /// What a service under test needs to trust this users service and hear its events.
    public func environment() -> [String: String] {
        [
            "MLEX_USERS_URL": url,
            "MLEX_BUS": bus ?? "sqlite:" + stateDirectory.appendingPathComponent("bus.sqlite").path,
        ]
    }

    /// Registers `email` and signs in: the user's id and an access token.
    public func signUp(
        _ email: String, password: String = "a long enough pass"
    ) async throws -> (id: String, token: String) {
        let created = try await call(
            "POST", "/v1/users", #"{"email": "\#(email)", "password": "\#(password)", "displayName": "Someone"}"#)
        let session = try await signIn(email, password: password)
        return (created["id"]?.stringValue ?? "", session)
    }

    public func signIn(_ email: String, password: String) async throws -> String {
        let session = try await call("POST", "/v1/sessions", #"{"email": "\#(email)", "password": "\#(password)"}"#)
        guard let token = session["accessToken"]?.stringValue else {
            throw POSIXError(.EACCES, "sign-in of \(email) failed: \(session.jsonText)")
        }
        return token
    }

    /// One JSON call to the users service; the parsed answer.
    @discardableResult
    public func call(
        _ method: String, _ path: String, _ body: String? = nil, token: String? = nil
    ) async throws -> JSONValue {
        try await callJSON(url + path, method: method, body: body, token: token)
    }
}

/// One JSON call over real HTTP (a service running as its own process); the parsed answer.
@discardableResult
public func callJSON(_ url: String, method: String, body: String? = nil, token: String? = nil) async throws -> JSONValue
{
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    request.headers.add(name: "Content-Type", value: "application/json")
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
    return text.isEmpty ? .null : try JSONValue.parse(text)
}

/// One JSON call over real HTTP: the status and the parsed answer (`.null` when empty).
public func httpCall(
    _ url: String, _ method: String, _ body: JSONValue? = nil, token: String?
) async throws -> (status: Int, body: JSONValue) {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    request.headers.add(name: "Content-Type", value: "application/json")
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body { request.body = .bytes(ByteBuffer(string: body.jsonText)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
    return (Int(response.status.code), text.isEmpty ? .null : try JSONValue.parse(text))
}

/// Waits (up to `seconds`) until `check` holds for the JSON of GET `url` — what events change
/// takes a moment to show; the last answer, or a recorded issue and a thrown timeout.
@discardableResult
public func eventually(
    _ url: String, token: String?, seconds: Int, _ check: @Sendable (JSONValue) -> Bool
) async throws -> JSONValue {
    let deadline = Date().addingTimeInterval(TimeInterval(seconds))
    var last: JSONValue = .null
    while Date() < deadline {
        last = try await httpCall(url, "GET", token: token).body
        if check(last) { return last }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("GET \(url) never satisfied the check: \(last.jsonText)")
    throw POSIXError(.ETIMEDOUT)
}

/// Sends raw bytes (a package, a file) and parses the JSON answer: the status and the body.
public func httpSend(
    _ url: String, _ method: String, bytes: Data, contentType: String = "application/octet-stream", token: String?
) async throws -> (status: Int, body: JSONValue) {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    request.headers.add(name: "Content-Type", value: contentType)
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    request.body = .bytes(ByteBuffer(bytes: bytes))
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
    return (Int(response.status.code), text.isEmpty ? .null : try JSONValue.parse(text))
}

/// Starts a platform executable built by `swift build` (`mlex-data`, …) with `environment`
/// added to this process's, and waits until it listens on `port`; the caller stops it by pid.
/// Its output goes to `log` when given.
public func startPlatformProcess(
    _ executable: String, environment: [String: String], port: Int, log: URL? = nil
) throws -> pid_t {
    let binary = repositoryRoot().appendingPathComponent(".build/debug/\(executable)").path
    return try WireServers.start(
        binary, [], environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, port: port, log: log)
}
