import Foundation
import Hummingbird
import HummingbirdTesting
import IngestService
import Platform
import PlatformTesting
import Testing

@Suite("ingest: API description")
struct DocumentationTests {
    func ingestApp() async throws -> some ApplicationProtocol {
        let users = try UsersServer.shared()
        let settings = try await ServiceSettings.forTesting(
            .ingest, stateDirectory: try temporaryDirectory(), extraSettings: IngestApp.extraSettings,
            environment: users.environment().merging(["MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": ""]) { $1 }
        )
        return try await IngestApp.buildApplication(settings: settings, logger: quietLogger())
    }

    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        let app = try await ingestApp()
        try await expectDocumentMatchesRoutes(app)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                try validateOpenAPI(response.body)
            }
        }
    }

    @Test("every operation but health, ready, metrics and the documents needs a token")
    func tokens() async throws {
        #expect(try await expectEveryOperationNeedsAToken(try await ingestApp(), open: standardOpenOperations) >= 4)
    }

    @Test("every setting the service reads is in docs/configuration.md")
    func settingsDocumented() throws {
        let docs = try String(contentsOf: repositoryRoot().appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let missing = IngestApp.extraSettings.map(\.environmentName).filter { !docs.contains($0) }
        #expect(missing.isEmpty, "undocumented: \(missing)")
    }
}
