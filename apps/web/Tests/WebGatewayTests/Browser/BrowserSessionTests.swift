import AsyncHTTPClient
import Foundation
import NIOCore
import Platform
import PlatformTesting
import Testing

/// The gateway's browser sessions over plain HTTP, against the same real processes as the
/// browser suite: what a page cannot show — cookie attributes, the Origin check, refresh.
@Suite("Browser sessions at the gateway", .serialized)
struct BrowserSessionTests {
    struct Answer {
        let status: Int
        let body: JSONValue
        let setCookies: [String]
    }

    static func send(
        _ url: String, _ method: String, _ body: JSONValue? = nil, cookie: String? = nil, origin: String? = nil,
        referer: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let origin { request.headers.add(name: "Origin", value: origin) }
        if let referer { request.headers.add(name: "Referer", value: referer) }
        if let body { request.body = .bytes(ByteBuffer(string: body.jsonText)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return Answer(
            status: Int(response.status.code), body: text.isEmpty ? .null : try JSONValue.parse(text),
            setCookies: response.headers["set-cookie"])
    }

    /// `name=value` of each cookie set, for a `Cookie` header.
    static func cookieHeader(_ setCookies: [String]) -> String {
        setCookies.map { String($0.prefix { $0 != ";" }) }.joined(separator: "; ")
    }

    static func value(of name: String, in setCookies: [String]) -> String? {
        setCookies.lazy.map { String($0.prefix { $0 != ";" }) }.first { $0.hasPrefix(name + "=") }.map {
            String($0.dropFirst(name.count + 1))
        }
    }

    /// A new user signed in through `/ui/session`: the cookies the gateway set.
    static func signedIn(_ site: BrowserPlatform) async throws -> [String] {
        let user = try await site.newUser("cookie")
        let answer = try await send(
            site.gatewayURL + "/ui/session", "POST",
            ["email": .string(user.email), "password": .string(BrowserPlatform.password)], origin: site.gatewayURL)
        #expect(answer.status == 201)
        #expect(answer.body["user"]?["email"] == .string(user.email))
        #expect(answer.body["accessToken"] == nil && answer.body["refreshToken"] == nil)
        return answer.setCookies
    }

    @Test("sign-in sets HttpOnly, SameSite=Strict, Path=/ cookies and answers no token")
    func cookieAttributes() async throws {
        let site = try BrowserPlatform.shared.get()
        let cookies = try await Self.signedIn(site)
        #expect(cookies.count == 2)
        for cookie in cookies {
            #expect(cookie.contains("; HttpOnly"))
            #expect(cookie.contains("; SameSite=Strict"))
            #expect(cookie.contains("; Path=/"))
        }
        let me = try await Self.send(
            site.gatewayURL + "/api/users/v1/users/me", "GET", cookie: Self.cookieHeader(cookies))
        #expect(me.status == 200)
    }

    @Test("a state change with the session cookie and a foreign or missing Origin is refused with 403")
    func foreignOriginRefused() async throws {
        let site = try BrowserPlatform.shared.get()
        let cookie = Self.cookieHeader(try await Self.signedIn(site))
        let url = site.gatewayURL + "/api/data/v1/projects"
        let body: JSONValue = ["name": .string("csrf-\(ID.make().suffix(8))")]

        let foreign = try await Self.send(url, "POST", body, cookie: cookie, origin: "http://evil.example")
        #expect(foreign.status == 403)
        #expect(foreign.body["error"]?["code"] == "cross_origin_request")
        #expect(foreign.body["error"]?["field"] == "Origin")
        let none = try await Self.send(url, "POST", body, cookie: cookie)
        #expect(none.status == 403)
        let foreignReferer = try await Self.send(
            url, "POST", body, cookie: cookie, referer: "http://evil.example/page")
        #expect(foreignReferer.status == 403)
        let signOut = try await Self.send(
            site.gatewayURL + "/ui/session", "DELETE", cookie: cookie, origin: "http://evil.example")
        #expect(signOut.status == 403)

        // Nothing was made by the refused requests; the page's own origin goes through.
        let own = try await Self.send(url, "POST", body, cookie: cookie, origin: site.gatewayURL)
        #expect(own.status == 201)
        let ownReferer = try await Self.send(
            url, "POST", ["name": .string("csrf-\(ID.make().suffix(8))")], cookie: cookie,
            referer: site.gatewayURL + "/projects")
        #expect(ownReferer.status == 201)
        // Reads need no Origin: a link followed from elsewhere still opens the page's data.
        let list = try await Self.send(url, "GET", cookie: cookie)
        #expect(list.status == 200)
        #expect(list.body["items"]?.arrayValue?.count == 2)
    }

    @Test("an expired access cookie is refreshed once behind the browser's back, even for requests at once")
    func refreshBehindTheBrowser() async throws {
        let site = try BrowserPlatform.shared.get()
        let cookies = try await Self.signedIn(site)
        let refresh = try #require(Self.value(of: "mlex_refresh", in: cookies))
        // An access token whose `exp` has passed (the gateway only reads the claim to decide).
        let expired = "eyJhbGciOiJFZERTQSJ9.\(Data(#"{"exp":1}"#.utf8).base64EncodedString()).c2ln"
        let stale = "mlex_access=\(expired); mlex_refresh=\(refresh)"

        // Five requests of one page at once, all with the old refresh token: one refresh is
        // shared, so the rotation's reuse detection does not revoke the session.
        let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
            for _ in 0..<5 {
                group.addTask { try await Self.send(site.gatewayURL + "/api/users/v1/users/me", "GET", cookie: stale) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.status == 200 })
        let renewed = Set(answers.compactMap { Self.value(of: "mlex_refresh", in: $0.setCookies) })
        #expect(renewed.count == 1)
        #expect(renewed.first != refresh)

        // The renewed session works; a signed-out one clears the cookies and answers 401.
        let fresh = Self.cookieHeader(answers[0].setCookies)
        #expect(try await Self.send(site.gatewayURL + "/api/users/v1/users/me", "GET", cookie: fresh).status == 200)
        let out = try await Self.send(site.gatewayURL + "/ui/session", "DELETE", cookie: fresh, origin: site.gatewayURL)
        #expect(out.status == 204)
        #expect(out.setCookies.allSatisfy { $0.contains("Max-Age=0") })
        let after = try await Self.send(
            site.gatewayURL + "/api/users/v1/users/me", "GET",
            cookie: "mlex_access=\(expired); mlex_refresh=\(try #require(renewed.first))")
        #expect(after.status == 401)
        #expect(after.setCookies.allSatisfy { $0.contains("Max-Age=0") } && !after.setCookies.isEmpty)
    }

    @Test("a token refused after a role change is renewed by /ui/session/refresh; without a session it answers 401")
    func refreshAfterRoleChange() async throws {
        let site = try BrowserPlatform.shared.get()
        let cookies = Self.cookieHeader(try await Self.signedIn(site))
        let projects = site.gatewayURL + "/api/data/v1/projects"
        let me = try await Self.send(site.gatewayURL + "/api/users/v1/users/me", "GET", cookie: cookies)
        let id = try #require(me.body["id"]?.stringValue)
        #expect(try await Self.send(projects, "GET", cookie: cookies).status == 200)

        // An administrator changes the user's role: tokens signed before it are refused
        // everywhere (once the users event reaches data), though they have not expired.
        let admin = try await site.admin()
        for role in ["admin", "user"] {
            let changed = try await httpCall(
                site.platform.users.url + "/v1/users/\(id)", "PATCH", ["role": .string(role)], token: admin.token)
            #expect(changed.status == 200, "\(changed.body)")
        }
        try await withRetries(100) {
            guard try await Self.send(projects, "GET", cookie: cookies).status == 401 else { throw POSIXError(.EAGAIN) }
        }

        let renewed = try await Self.send(
            site.gatewayURL + "/ui/session/refresh", "POST", cookie: cookies, origin: site.gatewayURL)
        #expect(renewed.status == 204)
        #expect(try await Self.send(projects, "GET", cookie: Self.cookieHeader(renewed.setCookies)).status == 200)

        let none = try await Self.send(site.gatewayURL + "/ui/session/refresh", "POST", origin: site.gatewayURL)
        #expect(none.status == 401)
    }

    @Test("pages carry the Content-Security-Policy and nosniff; the chart library comes from Debian")
    func pageHeaders() async throws {
        let site = try BrowserPlatform.shared.get()
        let cookie = Self.cookieHeader(try await Self.signedIn(site))
        var request = HTTPClientRequest(url: site.gatewayURL + "/projects")
        request.headers.add(name: "Cookie", value: cookie)
        let page = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(page.status == .ok)
        let policy = page.headers.first(name: "Content-Security-Policy") ?? ""
        for directive in ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"] {
            #expect(policy.contains(directive))
        }
        #expect(!policy.contains("script-src 'self' 'unsafe-inline'"))
        #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
        let html = String(buffer: try await page.body.collect(upTo: 1 << 20))
        #expect(html.contains(#"<script type="module" src="/static/app.js">"#))
        #expect(!html.contains("<script>"))

        let library = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: site.gatewayURL + "/vendor/dygraphs/dygraph.min.js"), timeout: .seconds(30))
        #expect(library.status == .ok)
        #expect(library.headers.first(name: "Content-Type") == "text/javascript; charset=utf-8")
        let bytes = try await library.body.collect(upTo: 4 << 20)
        #expect(
            bytes.readableBytes
                == (try FileManager.default.attributesOfItem(
                    atPath: "/usr/share/javascript/dygraphs/dygraph.min.js")[.size] as? Int))
    }
}
