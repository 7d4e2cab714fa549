import Foundation
import Platform
import PlatformTesting

/// Users, data, compute and mlhub as real processes (LocalPlatform), with a gateway serving the
/// web application from this checkout: what the browser suite signs in to.
struct BrowserPlatform: Sendable {
    let platform: LocalPlatform
    let gatewayURL: String
    let hubURL: String

    static let shared = Result { () throws -> BrowserPlatform in
        let platform = try LocalPlatform.start()
        // The hub answers a run page's "models registered from it".
        let hub = try platform.startService(.mlhub, state: try temporaryDirectory())
        stopAtExit(hub.pid)
        let gatewayURL = try platform.startGateway(environment: [
            "MLEX_MLHUB_URL": hub.url,
            "MLEX_WEB_ASSETS": repositoryRoot().appendingPathComponent("apps/web/Public").path,
        ])
        return BrowserPlatform(platform: platform, gatewayURL: gatewayURL, hubURL: hub.url)
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
        let answer = try await httpCall(platform.dataURL + path, method, body, token: token)
        guard (200..<300).contains(answer.status) else {
            throw WebDriver.Failure(
                error: "setup", message: "\(method) \(path): \(answer.status) \(answer.body.jsonText)")
        }
        return answer.body
    }

    /// One JSON call to mlhub, straight; fails unless 2xx.
    @discardableResult
    func hub(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String) async throws -> JSONValue {
        let answer = try await httpCall(hubURL + path, method, body, token: token)
        guard (200..<300).contains(answer.status) else {
            throw WebDriver.Failure(
                error: "setup", message: "\(method) \(path): \(answer.status) \(answer.body.jsonText)")
        }
        return answer.body
    }

    /// Signs in through the page's form and waits for the page it leads to.
    func signIn(_ browser: WebDriver, email: String, next: String = "/projects") async throws {
        try await browser.goAndWait(gatewayURL + "/signin?next=" + next)
        try await browser.find("#email").type(email)
        try await browser.find("#password").type(Self.password)
        try await browser.find("#signin-submit").click()
        try await browser.wait(
            until: "return location.pathname !== '/signin' && document.body.dataset.ready === 'true'")
    }
}
