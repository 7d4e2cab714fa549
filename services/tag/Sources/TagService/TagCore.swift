import Auth
import Platform

/// What the tag routes share: the directory and the project authorizer.
struct TagCore: Sendable {
    let directory: TagDirectory
    let authorizer: Authorizer

    /// A kind named in a path or query; 400 naming `kind` otherwise.
    static func kind(_ text: String) throws -> EntityKind {
        guard let kind = EntityKind(rawValue: text) else {
            throw APIError.invalidField(
                "kind", "kind is one of \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    /// The entity of `/v1/entities/{kind}/{id}` when the caller has `needs` on its project.
    /// Unknown entities and projects the caller cannot see are both 404.
    func entity(_ context: some AuthenticatedRequestContext, needs: ProjectRole) async throws -> EntityRef {
        let kind = try Self.kind(context.parameters.get("kind") ?? "")
        let id = try context.parameters.requireID("id")
        guard let entity = try await directory.entity(kind, id) else {
            throw APIError.notFound(
                "no \(kind.rawValue) \(id) (the tag service knows entities from their services' events)")
        }
        do {
            try await authorizer.require(needs, on: entity.projectID, for: try context.requirePrincipal())
        } catch let error as APIError where error.status == .notFound {
            throw APIError.notFound("no \(kind.rawValue) \(id)")
        }
        return entity
    }
}
