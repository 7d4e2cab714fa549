import Foundation
import HummingbirdTesting
import PlatformTesting
import Testing
import UsersService

@Suite("users: documentation")
struct DocumentationTests {
    @Test("every setting the service reads is in docs/configuration.md")
    func settingsDocumented() throws {
        let docs = try String(
            contentsOf: repositoryRoot().appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let missing = UsersApp.extraSettings.map(\.environmentName).filter { !docs.contains($0) }
        #expect(missing.isEmpty, "undocumented: \(missing)")
    }

    @Test("the OpenAPI document is valid and matches the routes served")
    func openAPI() async throws {
        let (app, _) = try await usersApp()
        try await expectDocumentMatchesRoutes(app)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                try validateOpenAPI(response.body)
            }
        }
    }
}
