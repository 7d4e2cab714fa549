import Auth
import DataClient
import Platform
import Store

/// What the hub's routes share, and who may see what: a model belongs to its project (viewers
/// read, editors write, owners delete); a public model is readable by every signed-in user.
struct HubCore: Sendable {
    let store: any DocumentStore
    let registry: ModelRegistry
    let authorizer: Authorizer
    let data: DataClient
    /// Where deploys submit their jobs (with the caller's own token).
    let computeURL: String

    /// The model, when the caller has `needs` on it; 404 when it cannot see it at all.
    func model(_ id: String, _ context: some AuthenticatedRequestContext, needs: ProjectRole) async throws -> Model {
        guard ID.isValid(id), let model = try await registry.model(id: id) else {
            throw APIError.notFound("no model \(id)")
        }
        let principal = try context.requirePrincipal()
        if needs == .viewer, model.public { return model }
        do {
            try await authorizer.require(needs, on: model.projectId, for: principal)
        } catch let error as APIError where error.status == .notFound {
            throw APIError.notFound("no model \(id)")
        }
        return model
    }

    /// The model and one of its versions, named by number, alias or `latest`.
    func version(
        _ context: some AuthenticatedRequestContext, needs: ProjectRole
    ) async throws -> (model: Model, version: ModelVersion) {
        let model = try await model(try context.parameters.requireID("id"), context, needs: needs)
        let reference = context.parameters.get("version") ?? ""
        let found: ModelVersion?
        if reference == "latest" {
            found = try await registry.version(of: model.id, number: model.latestVersion)
        } else if let number = Int64(reference) {
            found = try await registry.version(of: model.id, number: number)
        } else {
            found = try await registry.holder(of: Alias(lookingUp: reference), in: model)
        }
        guard let found else { throw APIError.notFound("model \(model.name) has no version \(reference)") }
        return (model, found)
    }

    /// The projects whose private models the caller sees (from the membership read model); nil
    /// when it sees every model (administrators, services with projects.read).
    func visibleProjects(_ principal: Principal) async throws -> [String]? {
        if principal.isAdmin { return nil }
        if principal.kind == .service { return principal.scopes.contains(Authorizer.readScope) ? nil : [] }
        let members = ([principal.id] + principal.teams).map(JSONValue.string)
        let rows = try await store.find("project_member_views", Query(filter: ["memberId": ["$in": .array(members)]]))
        return Array(Set(rows.compactMap { $0["projectId"]?.stringValue })).sorted()
    }

    /// The filter that keeps what the caller may see: public versions, and those of its projects.
    func visibility(_ principal: Principal) async throws -> JSONValue {
        guard let projects = try await visibleProjects(principal) else { return [:] }
        return ["$or": [["public": true], ["projectId": ["$in": .array(projects.map(JSONValue.string))]]]]
    }
}
