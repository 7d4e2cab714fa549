import Auth
import DataClient
import Foundation
import HTTPTypes
import Hummingbird
import Platform
import Synchronization

/// Where an MLflow registry request acts (docs/mlflow.md): MLflow has no projects, so the
/// tracking URI picks one. `http://host:8000/mlflow/<project>` makes the client call
/// `/mlflow/<project>/api/2.0/mlflow/…`; `http://host:8000` calls `/api/2.0/mlflow/…`, the
/// caller's default project. Data owns projects and resolves names and the default, so names are
/// asked of data (with the caller's own token); an id is checked against the hub's membership
/// read model, as every other hub route does.
struct MLflowRegistryScope: Sendable {
    let core: HubCore
    private let resolved = ResolvedProjects()

    init(core: HubCore) {
        self.core = core
    }

    /// Registers `handler` at `/api/2.0/mlflow/<path>` and `/mlflow/{project}/api/2.0/mlflow/<path>`.
    static func on<Output: ResponseGenerator>(
        _ api: APIBuilder<AuthRequestContext>, _ method: HTTPRequest.Method, _ path: String, _ doc: OperationDoc,
        use handler: @escaping @Sendable (Request, AuthRequestContext) async throws -> Output
    ) {
        api.onMLflow(method, "2.0/mlflow/\(path)", doc, use: handler)
    }

    /// The id of the request's project when the caller holds at least `needed` on it (viewers
    /// read, editors write, owners delete): 404 when it has no role there, 403 when too little.
    func project(_ request: Request, _ context: AuthRequestContext, needs needed: ProjectRole) async throws -> String {
        let principal = try context.requirePrincipal()
        let reference = context.parameters.get("project").flatMap { $0.isEmpty ? nil : $0 }
        let (projectID, role) = try await resolve(reference, request: request, principal: principal)
        guard role >= needed else {
            throw APIError.forbidden("this needs the \(needed.rawValue) role on the project; you are \(role.rawValue)")
        }
        return projectID
    }

    private func resolve(
        _ reference: String?, request: Request, principal: Principal
    ) async throws -> (String, ProjectRole) {
        if let reference, ID.isValid(reference) {
            guard let role = try await core.authorizer.role(of: principal, on: reference) else {
                throw APIError.notFound("no project \(reference) of yours", field: "project")
            }
            return (reference, role)
        }
        let token = try Self.callerToken(request)
        let key = "\(token)\u{0}\(reference ?? "")"
        if let hit = resolved.get(key) { return hit }
        let answer: JSONValue
        do {
            answer = try await core.data.acting { token }.resolveMLflowProject(reference)
        } catch let error as PeerError where error.status == 404 {
            throw APIError.notFound(error.message, field: "project")
        } catch let error as PeerError {
            throw error.apiError
        }
        guard let projectID = answer["projectId"]?.stringValue,
            let role = answer["role"]?.stringValue.flatMap(ProjectRole.init(rawValue:))
        else {
            throw APIError.unavailable("the data service answered no project")
        }
        resolved.put(key, (projectID, role))
        return (projectID, role)
    }

    /// The caller's own bearer token, for calls to data made as the caller.
    static func callerToken(_ request: Request) throws -> String {
        guard let authorization = request.headers[.authorization], authorization.count > 7,
            authorization.prefix(7).lowercased() == "bearer "
        else {
            throw APIError.unauthorized()
        }
        return String(authorization.dropFirst(7))
    }
}

/// Projects data resolved, by token and reference, for a few seconds: a script's burst of
/// registry calls asks data once, and a changed role or a new default project shows soon.
private final class ResolvedProjects: Sendable {
    private struct Entry {
        let project: String
        let role: ProjectRole
        let until: ContinuousClock.Instant
    }

    private static let lifetime = Duration.seconds(10)
    private static let capacity = 10_000
    private let entries = Mutex<[String: Entry]>([:])

    func get(_ key: String) -> (String, ProjectRole)? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.until > .now else { return nil }
            return (entry.project, entry.role)
        }
    }

    func put(_ key: String, _ value: (String, ProjectRole)) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[key] = Entry(project: value.0, role: value.1, until: .now + Self.lifetime)
        }
    }
}
