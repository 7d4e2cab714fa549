import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Wire

/// The platform's HTTP API through its gateway (`<url>/api/<service>/…`), as a logged-in user:
/// JSON calls, streamed uploads and resumable downloads, server-sent event streams. An expired
/// access token is refreshed with the session's refresh token once, transparently, and the new
/// tokens are saved where the old ones were.
public final class MLExClient: Sendable {
    public enum Service: String, Sendable { case users, data, compute }

    public let baseURL: String
    let session: Session
    let http: HTTPClient

    /// One client for the process. A command line makes one attempt: a server that is down is
    /// reported at once rather than retried until the connect timeout (AsyncHTTPClient's default).
    public static let defaultHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(settings: ClientSettings, http: HTTPClient = MLExClient.defaultHTTP) {
        self.baseURL = settings.url
        self.session = Session(settings: settings)
        self.http = http
    }

    /// The URL of `path` on `service` through the gateway.
    public func url(_ service: Service, _ path: String) -> String {
        "\(baseURL)/api/\(service.rawValue)\(path)"
    }

    // MARK: JSON calls

    /// One JSON call; the parsed answer (`.null` for an empty one). Throws `ClientError`.
    @discardableResult
    public func call(
        _ service: Service, _ method: HTTPMethod, _ path: String, query: [String: String?] = [:],
        body: JSONValue? = nil, authenticated: Bool = true
    ) async throws -> JSONValue {
        let response = try await send(authenticated: authenticated) { token in
            var request = HTTPClientRequest(url: self.url(service, path) + Self.queryString(query))
            request.method = method
            request.headers.add(name: "Accept", value: "application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body.jsonText))
            }
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            return request
        }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        try Self.check(response.status, bytes)
        return bytes.readableBytes == 0 ? .null : try JSONValue.parse(String(buffer: bytes))
    }

    /// Sends the request built for the current token; after a 401 on a session that can be
    /// refreshed, refreshes once and sends it again (the builder makes a fresh body).
    func send(
        authenticated: Bool, timeout: TimeAmount = .seconds(60), build: @Sendable (String?) throws -> HTTPClientRequest
    ) async throws -> HTTPClientResponse {
        let token = authenticated ? try await session.accessToken() : nil
        let response = try await execute(try build(token), timeout: timeout)
        guard authenticated, response.status == .unauthorized,
            let refreshed = try await session.refresh(using: self, staleToken: token)
        else {
            return response
        }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return try await execute(try build(refreshed), timeout: timeout)
    }

    /// Sends one request; any failure to get an answer is the server being unreachable.
    func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: timeout)
        } catch let error as IOError {
            throw ClientError.unreachable(url: baseURL, reason: String(cString: strerror(error.errnoCode)))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ClientError.unreachable(url: baseURL, reason: "\(error)")
        }
    }

    static func check(_ status: HTTPResponseStatus, _ bytes: ByteBuffer) throws {
        guard !(200..<300).contains(Int(status.code)) else { return }
        let error = try? JSONDecoder.api.decode(ErrorEnvelope.self, from: Data(bytes.readableBytesView)).error
        throw ClientError.api(
            APIFailure(
                status: Int(status.code), code: error?.code ?? "http_\(status.code)",
                message: error?.message ?? "the server answered \(status.code) \(status.reasonPhrase)",
                field: error?.field
            )
        )
    }

    static func queryString(_ query: [String: String?]) -> String {
        let pairs = query.compactMap { key, value in value.map { (key, $0) } }.sorted { $0.0 < $1.0 }
        guard !pairs.isEmpty else { return "" }
        var components = URLComponents()
        components.queryItems = pairs.map { URLQueryItem(name: $0.0, value: $0.1) }
        // `+` is a space to form decoders: keep it literal in values such as timestamps.
        return "?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }

    // MARK: session

    /// Logs in and saves the session (with `url`) to the config file.
    @discardableResult
    public func login(email: String, password: String) async throws -> JSONValue {
        let answer = try await call(
            .users, .POST, "/v1/sessions", body: ["email": .string(email), "password": .string(password)],
            authenticated: false)
        try await session.store(answer, email: email, url: baseURL)
        return answer
    }

    /// Ends the session on the server (when there is one) and forgets its tokens.
    public func logout() async throws {
        if await session.hasSession {
            do {
                try await call(.users, .DELETE, "/v1/sessions/current")
            } catch ClientError.api(let failure) where failure.status == 401 {
                // Already over on the server: forgetting it here is all that is left.
            }
        }
        try await session.forget()
    }
}

/// The tokens of the logged-in user and where they are kept.
actor Session {
    var settings: ClientSettings

    init(settings: ClientSettings) { self.settings = settings }

    var hasSession: Bool { settings.fixedToken == nil && settings.stored.accessToken != nil }

    func accessToken() throws -> String {
        if let token = settings.fixedToken ?? settings.stored.accessToken { return token }
        throw ClientError.notLoggedIn("not logged in to \(settings.url): run `mlex login` (or set MLEX_TOKEN)")
    }

    /// New tokens after a 401, or nil when there is no refresh to try. Concurrent callers that
    /// saw the same stale token share one refresh (refresh tokens rotate: a second use of the
    /// old one would end the session).
    func refresh(using client: MLExClient, staleToken: String?) async throws -> String? {
        guard settings.fixedToken == nil, let refreshToken = settings.stored.refreshToken else { return nil }
        if let current = settings.stored.accessToken, current != staleToken { return current }
        if let refreshing { return try await refreshing.value }
        let task = Task { try await self.exchange(refreshToken, using: client) }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    private var refreshing: Task<String?, any Error>?

    private func exchange(_ refreshToken: String, using client: MLExClient) async throws -> String? {
        do {
            let answer = try await client.call(
                .users, .POST, "/v1/sessions/refresh", body: ["refreshToken": .string(refreshToken)],
                authenticated: false)
            try store(answer, email: settings.stored.email, url: settings.url)
            return settings.stored.accessToken
        } catch ClientError.api(let failure) where failure.status == 401 {
            try forget()
            throw ClientError.notLoggedIn("the session ended (\(failure.message)): run `mlex login` again")
        }
    }

    func store(_ tokens: JSONValue, email: String?, url: String) throws {
        settings.stored.url = url
        settings.stored.email = email
        settings.stored.accessToken = tokens["accessToken"]?.stringValue
        settings.stored.refreshToken = tokens["refreshToken"]?.stringValue
        try settings.stored.save(to: settings.file)
    }

    func forget() throws {
        settings.stored.accessToken = nil
        settings.stored.refreshToken = nil
        try settings.stored.save(to: settings.file)
    }
}
