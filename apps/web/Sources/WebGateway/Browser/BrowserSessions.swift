import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Platform
import Synchronization

/// Turns the browser's session cookies into the bearer token the services expect, refreshing
/// the access token at the users service when it is about to expire.
///
/// Refresh tokens rotate, and presenting an old one revokes the whole session (a stolen token's
/// tell). A page fires several requests at once, each carrying the same old cookie, so refreshes
/// are shared: the first request for a refresh token asks users, every other request carrying
/// that token within `reuseWindow` gets the same answer instead of asking again.
final class BrowserSessions: Sendable {
    struct Refreshed: Sendable {
        let access: String
        let refresh: String
    }

    /// What a request that may carry the session needs: the token to forward and the cookies to
    /// set on its answer (a refreshed session, or a cleared one that can no longer refresh).
    struct Authorization: Sendable {
        var bearer: String?
        var setCookies: [String] = []
    }

    let client: HTTPClient
    let usersURL: String
    /// The gateway's credential, so users counts failed logins per client behind the gateway.
    let usersProof: String
    static let reuseWindow: TimeInterval = 60

    private let refreshes = Mutex<[String: (task: Task<Refreshed?, Never>, started: Date)]>([:])

    init(client: HTTPClient, usersURL: String, usersProof: String) {
        self.client = client
        self.usersURL = usersURL
        self.usersProof = usersProof
    }

    /// The bearer for a request: none when it brings its own `Authorization` (token clients are
    /// untouched) or has no session cookie.
    func authorize(_ request: Request) async -> Authorization {
        guard request.headers[.authorization] == nil else { return Authorization() }
        let tokens = SessionCookies.tokens(cookieHeaders: request.headers[values: .cookie])
        let secure = Self.overTLS(request)
        if let access = tokens.access, !AccessTokenExpiry.needsRefresh(access) {
            return Authorization(bearer: access)
        }
        guard let refresh = tokens.refresh, !refresh.isEmpty else {
            return Authorization(bearer: nil, setCookies: tokens.isEmpty ? [] : SessionCookies.clear(secure: secure))
        }
        guard let refreshed = await shared(refresh) else {
            return Authorization(bearer: nil, setCookies: SessionCookies.clear(secure: secure))
        }
        return Authorization(
            bearer: refreshed.access,
            setCookies: SessionCookies.store(access: refreshed.access, refresh: refreshed.refresh, secure: secure))
    }

    /// New tokens now, whatever the access token's expiry: the page asks after a service refused
    /// an unexpired token — one signed before the user's role or teams changed, which users'
    /// verifier refuses so that the client fetches current claims. Nil when the session cannot
    /// refresh (signed out, revoked, disabled).
    func refreshNow(_ request: Request) async -> Authorization? {
        let tokens = SessionCookies.tokens(cookieHeaders: request.headers[values: .cookie])
        guard let refresh = tokens.refresh, !refresh.isEmpty, let refreshed = await shared(refresh) else { return nil }
        return Authorization(
            bearer: refreshed.access,
            setCookies: SessionCookies.store(
                access: refreshed.access, refresh: refreshed.refresh, secure: Self.overTLS(request)))
    }

    /// Whether `request` reached the gateway over HTTPS (`SessionCookies.overTLS`).
    static func overTLS(_ request: Request) -> Bool {
        SessionCookies.overTLS(
            forwardedProto: request.headers[HTTPField.Name("X-Forwarded-Proto")!], origin: request.headers[.origin])
    }

    private func shared(_ refreshToken: String) async -> Refreshed? {
        let now = Date()
        let task = refreshes.withLock { table in
            table = table.filter { now.timeIntervalSince($0.value.started) < Self.reuseWindow }
            if let running = table[refreshToken] { return running.task }
            let task = Task { await self.exchange(refreshToken) }
            table[refreshToken] = (task, now)
            return task
        }
        return await task.value
    }

    private func exchange(_ refreshToken: String) async -> Refreshed? {
        let answer = try? await callUsers(
            "POST", "/v1/sessions/refresh", body: .object(["refreshToken": .string(refreshToken)]))
        guard let answer, answer.status == 200, let access = answer.body["accessToken"]?.stringValue,
            let refresh = answer.body["refreshToken"]?.stringValue
        else { return nil }
        return Refreshed(access: access, refresh: refresh)
    }

    /// One JSON call to the users service, with the client's address vouched for by the gateway.
    func callUsers(
        _ method: String, _ path: String, body: JSONValue? = nil, bearer: String? = nil,
        clientAddress: String? = nil, requestID: String? = nil
    ) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: usersURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "X-Mlex-Gateway", value: usersProof)
        if let clientAddress { request.headers.add(name: "X-Forwarded-For", value: clientAddress) }
        if let requestID { request.headers.add(name: "X-Request-Id", value: requestID) }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body { request.body = .bytes(ByteBuffer(string: body.jsonText)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), text.isEmpty ? .null : try JSONValue.parse(text))
    }
}
