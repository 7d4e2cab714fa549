import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@testable import WebGateway

/// The browser-session rules of the gateway, as functions and through its router: cookies,
/// the Origin check, the headers pages are sent with, and the static files.
@Suite("Gateway security for browsers")
struct GatewaySecurityTests {
    @Test(
        "the Origin (or, without one, the Referer) must name the host the request was sent to",
        arguments: [
            ("http://127.0.0.1:8000", nil, "127.0.0.1:8000", true),
            ("https://mlex.lab.example", nil, "mlex.lab.example", true),
            (nil, "http://127.0.0.1:8000/projects?x=1", "127.0.0.1:8000", true),
            ("http://evil.example", nil, "127.0.0.1:8000", false),
            ("http://127.0.0.1:8001", nil, "127.0.0.1:8000", false),
            ("http://127.0.0.1:8000.evil.example", nil, "127.0.0.1:8000", false),
            ("null", nil, "127.0.0.1:8000", false),
            (nil, "http://evil.example/http://127.0.0.1:8000", "127.0.0.1:8000", false),
            (nil, nil, "127.0.0.1:8000", false),
            ("http://127.0.0.1:8000", nil, nil, false),
        ] as [(String?, String?, String?, Bool)]
    )
    func sameOrigin(origin: String?, referer: String?, host: String?, expected: Bool) {
        #expect(BrowserSecurity.isSameOrigin(origin: origin, referer: referer, host: host) == expected)
    }

    @Test("only state-changing methods need the Origin check")
    func stateChangingMethods() {
        #expect(BrowserSecurity.changesState(.post) && BrowserSecurity.changesState(.put))
        #expect(BrowserSecurity.changesState(.patch) && BrowserSecurity.changesState(.delete))
        #expect(!BrowserSecurity.changesState(.get) && !BrowserSecurity.changesState(.head))
    }

    @Test("session cookies: read among others, set HttpOnly and SameSite=Strict, never passed upstream")
    func cookies() {
        let headers = ["theme=dark; mlex_access=a.b.c", "mlex_refresh=mlr_x; other=1"]
        #expect(SessionCookies.tokens(cookieHeaders: headers) == .init(access: "a.b.c", refresh: "mlr_x"))
        #expect(SessionCookies.tokens(cookieHeaders: ["theme=dark"]).isEmpty)
        #expect(SessionCookies.withoutSession(cookieHeaders: headers) == "theme=dark; other=1")
        #expect(SessionCookies.withoutSession(cookieHeaders: ["mlex_access=a"]) == nil)
        for cookie in SessionCookies.store(access: "a", refresh: "r") {
            #expect(cookie.hasSuffix("; Path=/; Max-Age=2592000; HttpOnly; SameSite=Strict"))
        }
        #expect(SessionCookies.clear().allSatisfy { $0.contains("=; Path=/; Max-Age=0;") })
    }

    @Test("session cookies are Secure when the browser came over HTTPS, and only then")
    func secureCookies() {
        #expect(SessionCookies.overTLS(forwardedProto: "https", origin: nil))
        #expect(SessionCookies.overTLS(forwardedProto: "HTTPS, http", origin: nil))
        #expect(SessionCookies.overTLS(forwardedProto: nil, origin: "https://mlex.lab.example"))
        #expect(!SessionCookies.overTLS(forwardedProto: "http", origin: "http://127.0.0.1:8000"))
        #expect(!SessionCookies.overTLS(forwardedProto: nil, origin: nil))
        #expect(SessionCookies.store(access: "a", refresh: "r", secure: true).allSatisfy { $0.hasSuffix("; Secure") })
        #expect(SessionCookies.clear(secure: true).allSatisfy { $0.hasSuffix("; Secure") })
        #expect(!SessionCookies.store(access: "a", refresh: "r").contains { $0.contains("Secure") })
    }

    @Test("an access token is refreshed when its exp claim is near, past, or unreadable")
    func expiry() {
        func token(exp: Double) -> String {
            let claims = Data(#"{"sub":"u","exp":\#(exp)}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "")
            return "eyJhbGciOiJFZERTQSJ9.\(claims).c2ln"
        }
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(AccessTokenExpiry.expiry(of: token(exp: 1_000_600)) == Date(timeIntervalSince1970: 1_000_600))
        #expect(!AccessTokenExpiry.needsRefresh(token(exp: 1_000_600), now: now))
        #expect(AccessTokenExpiry.needsRefresh(token(exp: 1_000_010), now: now))
        #expect(AccessTokenExpiry.needsRefresh(token(exp: 999_000), now: now))
        #expect(AccessTokenExpiry.needsRefresh("not-a-jwt", now: now))
    }

    static func app() async throws -> some ApplicationProtocol {
        var settings = try await ServiceSettings.forTesting(
            .web, stateDirectory: try temporaryDirectory(), extraSettings: Gateway.extraSettings,
            environment: ["MLEX_WEB_ASSETS": repositoryRoot().appendingPathComponent("apps/web/Public").path])
        settings.peerURLs[.users] = "http://127.0.0.1:\(try freePort())"  // nobody listens there
        settings.peerURLs[.data] = "http://127.0.0.1:\(try freePort())"
        return try Gateway.buildApplication(settings: settings, logger: quietLogger("gateway"))
    }

    @Test("a signed-out visitor is redirected to /signin with the page to come back to")
    func signedOutRedirect() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/projects/p1?filter=a%3D1&cols=x", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/signin?next=%2Fprojects%2Fp1%3Ffilter%3Da%253D1%26cols%3Dx")
            }
            try await client.execute(uri: "/signin", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy] == BrowserSecurity.contentSecurityPolicy)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
            }
            try await client.execute(uri: "/projects", method: .get, headers: [.cookie: "mlex_access=x"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("static files: modules with their type, nothing outside the folder")
    func staticFiles() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/static/app.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
            }
            for path in ["/static/../../Package.swift", "/static/%2e%2e/Package.swift", "/static/.hidden", "/static/"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound, "\(path)")
                }
            }
        }
    }

    @Test("state changes with the cookie or to /ui/ need this origin; token clients are untouched")
    func originCheck() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(
                uri: "/ui/session", method: .post,
                headers: [.origin: "http://evil.example", .contentType: "application/json"],
                body: .init(string: #"{"email":"a@b.c","password":"x"}"#)
            ) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("cross_origin_request"))
            }
            try await client.execute(
                uri: "/api/data/v1/projects", method: .post, headers: [.cookie: "mlex_access=x"],
                body: .init(string: "{}")
            ) { response in
                #expect(response.status == .forbidden)
            }
            // A bearer client without cookie or Origin reaches the proxy (here: data is down, 502).
            try await client.execute(
                uri: "/api/data/v1/projects", method: .post, headers: [.authorization: "Bearer t"],
                body: .init(string: "{}")
            ) { response in
                #expect(response.status == .badGateway)
                #expect(response.headers[.contentSecurityPolicy] == nil)
            }
        }
    }
}
