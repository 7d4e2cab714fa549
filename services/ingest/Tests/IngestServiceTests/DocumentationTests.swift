import Foundation
import Hummingbird
import IngestService
import Platform
import PlatformTesting
import Testing

@Suite("ingest: API description")
struct DocumentationTests {
    func ingestApp() async throws -> some ApplicationProtocol {
        try await IngestApp.buildApplication(
            settings: try await serviceTestSettings(.ingest, extraSettings: IngestApp.extraSettings),
            logger: quietLogger())
    }

    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        try await expectValidOpenAPI(try await ingestApp())
    }

    @Test("every operation but health, ready, metrics and the documents needs a token")
    func tokens() async throws {
        #expect(try await expectEveryOperationNeedsAToken(try await ingestApp(), open: standardOpenOperations) >= 4)
    }

    @Test("every setting the service reads is in docs/configuration.md")
    func settingsDocumented() throws {
        let docs = try String(
            contentsOf: repositoryRoot().appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let missing = IngestApp.extraSettings.map(\.environmentName).filter { !docs.contains($0) }
        #expect(missing.isEmpty, "undocumented: \(missing)")
    }
}
