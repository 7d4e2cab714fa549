import Auth
import Hummingbird
import Platform

/// What the ingest routes share.
struct IngestCore: Sendable {
    let ingestions: Ingestions
    let pipeline: IngestPipeline
    let authorizer: Authorizer

    /// The `projectId` of the query, when the caller may write into it; and the caller's id.
    func editor(
        _ request: Request, _ context: some AuthenticatedRequestContext
    ) async throws -> (project: String, actor: String) {
        guard let projectID = request.uri.queryParameters.get("projectId"), ID.isValid(projectID) else {
            throw APIError.invalidField("projectId", "name the project the package goes into: ?projectId=")
        }
        let principal = try context.requirePrincipal()
        try await authorizer.require(.editor, on: projectID, for: principal)
        return (projectID, principal.id)
    }
}
