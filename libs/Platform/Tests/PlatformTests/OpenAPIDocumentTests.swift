import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformTesting
import Testing

@testable import Platform

@Suite("OpenAPI document and docs page")
struct OpenAPIDocumentTests {
    @Test("every documented path is served")
    func documentedPathsAreServed() async throws {
        try await expectDocumentMatchesRoutes(try await buildTestApplication())
    }

    @Test("every served route is documented, and building refuses a route added behind its back")
    func servedRoutesAreDocumented() async throws {
        let settings = try await ServiceSettings.forTesting(.data, stateDirectory: try temporaryDirectory())
        let error = #expect(throws: RouteDocumentationError.self) {
            try PlatformApplication.build(
                info: ServiceInfo(name: .data, title: "t", summary: "s"), settings: settings, logger: quietLogger()
            ) { api in
                api.router.get("/v1/secret") { _, _ in "hidden" }
            }
        }
        #expect(error?.undocumented == ["GET /v1/secret"])
    }

    @Test("the standard endpoints are documented and open; service routes need a token")
    func security() async throws {
        let app = try await buildTestApplication()
        try await app.test(.router) { client in
            let document = try await client.execute(uri: "/openapi.json", method: .get) { $0.body.json }
            let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
            for open in ["/health", "/ready", "/metrics", "/openapi.json", "/docs"] {
                let security = paths[open]?["get"]?["security"] as? [Any]
                #expect(security?.isEmpty == true, "\(open) should be open")
            }
            #expect(paths["/v1/jobs"]?["post"]?["security"] == nil)
            #expect(paths["/v1/jobs/{jobId}"]?["get"]?["parameters"] != nil)
        }
    }

    @Test("the document is valid OpenAPI 3.1 (openapi-spec-validator from the repo's venv)")
    func validOpenAPI() async throws {
        let app = try await buildTestApplication()
        let body = try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { $0.body }
        }
        try validateOpenAPI(body)
    }

    @Test("/docs is one self-contained HTML page listing every operation")
    func docsPage() async throws {
        let app = try await buildTestApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/docs", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                for path in ["/v1/jobs", "/v1/jobs/{jobId}", "/health", "/ready", "/metrics"] {
                    #expect(html.contains("<code>\(path)</code>"))
                }
                #expect(!html.contains("src=\"http"))
                #expect(!html.contains("<link"))
                #expect(!html.contains("<script"))
            }
        }
    }
}
