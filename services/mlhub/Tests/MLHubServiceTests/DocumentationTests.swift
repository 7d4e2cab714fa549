import Foundation
import Hummingbird
import HummingbirdTesting
import MLHubService
import Platform
import PlatformTesting
import Testing

@Suite("mlhub: API description")
struct DocumentationTests {
    func hubApp() async throws -> some ApplicationProtocol {
        let users = try UsersServer.shared()
        let settings = try await ServiceSettings.forTesting(
            .mlhub, stateDirectory: try temporaryDirectory(), extraSettings: MLHubApp.extraSettings,
            environment: users.environment().merging(["MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": ""]) { $1 }
        )
        return try await MLHubApp.buildApplication(settings: settings, logger: quietLogger())
    }

    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        let app = try await hubApp()
        try await expectDocumentMatchesRoutes(app)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                try validateOpenAPI(response.body)
            }
        }
    }

    @Test("every operation but health, ready, metrics and the documents needs a token")
    func tokens() async throws {
        let checked = try await expectEveryOperationNeedsAToken(try await hubApp(), open: standardOpenOperations)
        #expect(checked >= 16)
    }
}
