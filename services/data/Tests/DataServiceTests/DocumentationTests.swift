import DataService
import Foundation
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: API description")
struct DocumentationTests {
    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        let app = try await dataApp()
        try await expectDocumentMatchesRoutes(app)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                try validateOpenAPI(response.body)
            }
        }
    }

    @Test("every operation but health, ready, metrics and the documents needs a token")
    func tokens() async throws {
        let checked = try await expectEveryOperationNeedsAToken(try await dataApp(), open: standardOpenOperations)
        #expect(checked > 20)
    }

    @Test("every setting the service reads is in docs/configuration.md")
    func settingsDocumented() throws {
        let docs = try String(
            contentsOf: repositoryRoot().appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let missing = DataApp.extraSettings.map(\.environmentName).filter { !docs.contains($0) }
        #expect(missing.isEmpty, "undocumented: \(missing)")
    }
}
