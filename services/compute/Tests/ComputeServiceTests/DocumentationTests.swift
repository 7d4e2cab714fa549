import ComputeService
import Foundation
import Hummingbird
import Platform
import PlatformTesting
import Testing

/// What every other service's suite checks of its API description, for compute too: the
/// production app built in-process (its agents and scheduler are not needed to answer).
@Suite("compute: API description")
struct DocumentationTests {
    func computeApp() async throws -> some ApplicationProtocol {
        try await ComputeApp.buildApplication(
            settings: try await serviceTestSettings(.compute, extraSettings: ComputeApp.extraSettings),
            logger: quietLogger())
    }

    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        try await expectValidOpenAPI(try await computeApp())
    }

    @Test("every operation but health, ready, metrics and the documents needs a token")
    func tokens() async throws {
        #expect(try await expectEveryOperationNeedsAToken(try await computeApp(), open: standardOpenOperations) >= 20)
    }
}
