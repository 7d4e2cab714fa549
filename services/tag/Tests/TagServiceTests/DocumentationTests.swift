import Foundation
import Hummingbird
import Platform
import PlatformTesting
import TagService
import Testing

@Suite("tag: API description")
struct DocumentationTests {
    func tagApp() async throws -> some ApplicationProtocol {
        try await TagApp.buildApplication(
            settings: try await serviceTestSettings(.tag, extraSettings: TagApp.extraSettings), logger: quietLogger())
    }

    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        try await expectValidOpenAPI(try await tagApp())
    }

    @Test("every operation but health, ready, metrics and the documents needs a token")
    func tokens() async throws {
        #expect(try await expectEveryOperationNeedsAToken(try await tagApp(), open: standardOpenOperations) >= 5)
    }
}
