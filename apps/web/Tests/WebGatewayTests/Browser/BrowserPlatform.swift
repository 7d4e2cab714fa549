import Foundation
import Platform
import PlatformTesting

/// Users, data, compute (with one agent on the local executor), mlhub, ingest and tag as real
/// processes (LocalPlatform), with a gateway serving the web application from this checkout:
/// what the browser suite signs in to.
struct BrowserPlatform: Sendable {
    let platform: LocalPlatform
    let gatewayURL: String
    let hubURL: String
    let ingestURL: String
    let tagURL: String

    /// The agent's node: named `test-default`, taking the `default` queue.
    static let agentQueue = "default"
    static let node = LocalPlatform.Node(cpus: 2, memoryMB: 2048, pidsLimit: 64)

    static let shared = Result { () throws -> BrowserPlatform in
        let platform = try LocalPlatform.start()
        stopAtExit(try platform.startAgent(queue: agentQueue, state: try temporaryDirectory(), node: node))
        // The hub answers a run page's "models registered from it" and the hub's pages.
        let hub = try platform.startService(.mlhub, state: try temporaryDirectory())
        stopAtExit(hub.pid)
        let ingest = try platform.startService(.ingest, state: try temporaryDirectory())
        stopAtExit(ingest.pid)
        let tag = try platform.startService(.tag, state: try temporaryDirectory())
        stopAtExit(tag.pid)
        let gatewayURL = try platform.startGateway(environment: [
            "MLEX_MLHUB_URL": hub.url, "MLEX_INGEST_URL": ingest.url, "MLEX_TAG_URL": tag.url,
            "MLEX_WEB_ASSETS": repositoryRoot().appendingPathComponent("apps/web/Public").path,
        ])
        return BrowserPlatform(
            platform: platform, gatewayURL: gatewayURL, hubURL: hub.url, ingestURL: ingest.url, tagURL: tag.url)
    }

    static let password = "a long enough pass"

    /// A registered user: email, id and an API token (for setting up what the browser then sees).
    func newUser(_ prefix: String) async throws -> (email: String, id: String, token: String) {
        let email = "\(prefix)-\(ID.make().suffix(12))@lab.example"
        let user = try await platform.users.signUp(email, password: Self.password)
        return (email, user.id, user.token)
    }

    /// One JSON call to data, straight (not through the gateway); fails unless 2xx.
    @discardableResult
    func data(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String) async throws -> JSONValue {
        try await call(platform.dataURL, method, path, body, token: token)
    }

    /// One JSON call to mlhub, straight; fails unless 2xx.
    @discardableResult
    func hub(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String) async throws -> JSONValue {
        try await call(hubURL, method, path, body, token: token)
    }

    /// One JSON call to compute, straight; fails unless 2xx.
    @discardableResult
    func compute(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String) async throws -> JSONValue {
        try await call(platform.computeURL, method, path, body, token: token)
    }

    /// One JSON call to the tag service, straight; fails unless 2xx.
    @discardableResult
    func tags(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String) async throws -> JSONValue {
        try await call(tagURL, method, path, body, token: token)
    }

    /// One JSON call to the service at `base`; fails unless 2xx.
    func call(
        _ base: String, _ method: String, _ path: String, _ body: JSONValue?, token: String
    ) async throws
        -> JSONValue
    {
        let answer = try await httpCall(base + path, method, body, token: token)
        guard (200..<300).contains(answer.status) else {
            throw WebDriver.Failure(
                error: "setup", message: "\(method) \(path): \(answer.status) \(answer.body.jsonText)")
        }
        return answer.body
    }

    /// The platform's administrator (seeded by the users service): email and a fresh token.
    func admin() async throws -> (email: String, token: String) {
        let token = try await platform.users.signIn(UsersServer.adminEmail, password: UsersServer.adminPassword)
        return (UsersServer.adminEmail, token)
    }

    /// Signs in through the page's form and waits for the page it leads to.
    func signIn(
        _ browser: WebDriver, email: String, password: String = Self.password, next: String = "/projects"
    ) async throws {
        try await browser.goAndWait(gatewayURL + "/signin?next=" + next)
        try await browser.find("#email").type(email)
        try await browser.find("#password").type(password)
        try await browser.find("#signin-submit").click()
        try await browser.wait(
            until: "return location.pathname !== '/signin' && document.body.dataset.ready === 'true'")
    }
}
