import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import TagService
import Testing

@Suite("tag: API description")
struct DocumentationTests {
    /// The real tag application on a fresh state dir, trusting the shared users service.
    func tagApp() async throws -> some ApplicationProtocol {
        let users = try UsersServer.shared()
        let settings = try await ServiceSettings.forTesting(
            .tag, stateDirectory: try temporaryDirectory(), extraSettings: TagApp.extraSettings,
            environment: users.environment().merging(["MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": ""]) { $1 }
        )
        return try await TagApp.buildApplication(settings: settings, logger: quietLogger())
    }

    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        let app = try await tagApp()
        try await expectDocumentMatchesRoutes(app)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                try validateOpenAPI(response.body)
            }
        }
    }

    @Test("every operation but health, ready, metrics and the documents needs a token")
    func tokens() async throws {
        let checked = try await expectEveryOperationNeedsAToken(try await tagApp(), open: standardOpenOperations)
        #expect(checked >= 5)
    }
}
