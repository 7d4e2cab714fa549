import Foundation
import Hummingbird
import MLHubService
import Platform
import PlatformTesting
import Testing

@Suite("mlhub: API description")
struct DocumentationTests {
    func hubApp() async throws -> some ApplicationProtocol {
        try await MLHubApp.buildApplication(
            settings: try await serviceTestSettings(.mlhub, extraSettings: MLHubApp.extraSettings),
            logger: quietLogger())
    }

    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        try await expectValidOpenAPI(try await hubApp())
    }

    @Test("every operation but health, ready, metrics and the documents needs a token")
    func tokens() async throws {
        #expect(try await expectEveryOperationNeedsAToken(try await hubApp(), open: standardOpenOperations) >= 16)
    }
}
