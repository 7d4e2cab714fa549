import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformTesting
import Testing

@testable import Platform

/// `GET /` on every process: a browser pointed at `localhost:<port>` lands on `/docs`.
@Suite("GET / redirects to the docs page")
struct RootRedirectTests {
    @Test("GET / answers 303 with Location: /docs, without a token, and /docs is there")
    func redirectsToDocs() async throws {
        let app = try await buildTestApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/docs")
            }
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            }
        }
    }

    @Test("the redirect is open even where every other route needs a token")
    func openBehindAuthentication() async throws {
        let app = try await Self.build { api in
            api.get("/v1/things", OperationDoc("Things")) { _, _ in "things" }
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/things", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/docs")
            }
        }
    }

    @Test("the redirect is not an operation of the OpenAPI document")
    func notDocumented() async throws {
        let app = try await buildTestApplication()
        try await app.test(.router) { client in
            let document = try await client.execute(uri: "/openapi.json", method: .get) { $0.body.json }
            let paths = try #require(document["paths"] as? [String: Any])
            #expect(paths["/"] == nil)
            #expect(paths["/docs"] != nil)
        }
    }

    @Test("a process that serves GET / itself keeps it (the gateway's web UI)")
    func ownRootWins() async throws {
        let app = try await Self.build(authenticated: false) { api in
            api.get("/", OperationDoc("The web UI", tags: ["web"], responseContentType: "text/html", open: true)) {
                _, _ in "<h1>MLExchange</h1>"
            }
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "<h1>MLExchange</h1>")
                #expect(response.headers[.location] == nil)
            }
        }
    }

    /// A refuse-everything authentication stands in for a service's token check.
    struct RefuseAll<Context: PlatformRequestContext>: RouterMiddleware {
        func handle(
            _ request: Request, context: Context, next: (Request, Context) async throws -> Response
        ) async throws -> Response {
            Response(status: .unauthorized)
        }
    }

    static func build(
        authenticated: Bool = true,
        routes: (APIBuilder<AppRequestContext>) throws -> Void
    ) async throws -> some ApplicationProtocol {
        let settings = try await ServiceSettings.forTesting(.data, stateDirectory: try temporaryDirectory())
        return try PlatformApplication.build(
            info: ServiceInfo(name: .data, title: "Root redirect", summary: "GET / on a platform app"),
            settings: settings, logger: quietLogger(), context: AppRequestContext.self,
            authentication: authenticated ? RefuseAll<AppRequestContext>() : nil, routes: routes
        )
    }
}
