import Auth
import HTTPTypes
import Hummingbird
import Platform

/// Where an MLflow request acts (docs/mlflow.md): MLflow has no projects, so its tracking URI
/// picks one. `http://host:8000/mlflow/<project>` makes the client call
/// `/mlflow/<project>/api/2.0/mlflow/…`; `http://host:8000` calls `/api/2.0/mlflow/…`, which is
/// the caller's default project. Every MLflow route is therefore registered at both paths.
struct MLflowScope: Sendable {
    let core: DataCore
    /// Creating a caller's default project is check-then-insert: one at a time per process (every
    /// scope shares it: tracking and artifact routes each hold one), so two first requests of one
    /// client do not make two.
    private static let defaultCreation = AsyncLock()

    /// The name of the project an un-prefixed tracking URI logs to, created by its caller on first use.
    static let defaultProjectName = "Default"

    init(core: DataCore) {
        self.core = core
    }

    /// Registers `handler` at `/api/2.0/<api>/<path>` and `/mlflow/{project}/api/2.0/<api>/<path>`,
    /// where `api` is `mlflow` or `mlflow-artifacts`.
    static func on<Output: ResponseGenerator>(
        _ api: APIBuilder<AuthRequestContext>, _ method: HTTPRequest.Method, _ path: String,
        api surface: String = "mlflow",
        _ doc: OperationDoc, use handler: @escaping @Sendable (Request, AuthRequestContext) async throws -> Output
    ) {
        api.onMLflow(method, "2.0/\(surface)/\(path)", doc, use: handler)
    }

    /// The request's project when the caller holds at least `needed` on it: the `{project}` of the
    /// path (an id, or the name of one of the caller's projects), else the caller's default project.
    func project(
        _ context: AuthRequestContext, needs needed: ProjectRole
    ) async throws -> (
        project: Project, role: ProjectRole
    ) {
        try await project(reference: context.parameters.get("project"), context, needs: needed)
    }

    /// `reference` is an id or a project name; nil is the caller's default project.
    func project(
        reference: String?, _ context: AuthRequestContext, needs needed: ProjectRole
    ) async throws -> (
        project: Project, role: ProjectRole
    ) {
        guard let reference, !reference.isEmpty else {
            return try await core.project(try await defaultProject(for: context).id, context, needs: needed)
        }
        if ID.isValid(reference), try await core.projects.project(id: reference) != nil {
            return try await core.project(reference, context, needs: needed)
        }
        let named = try await callersProjects(context).filter { $0.name == reference }
        guard let only = named.first else {
            throw APIError.notFound("no project \(reference) of yours", field: "project")
        }
        guard named.count == 1 else {
            throw APIError.badRequest(
                "\(named.count) of your projects are named \(reference); use the project's id", field: "project")
        }
        return try await core.project(only.id, context, needs: needed)
    }

    /// The caller's project named `Default` that the caller created, made now if there is none.
    private func defaultProject(for context: AuthRequestContext) async throws -> Project {
        let caller = try context.requirePrincipal()
        let find = { @Sendable in
            try await callersProjects(context).first { $0.name == Self.defaultProjectName && $0.createdBy == caller.id }
        }
        if let found = try await find() { return found }
        return try await Self.defaultCreation.withLock {
            if let found = try await find() { return found }
            let created = Project(
                name: Self.defaultProjectName,
                description: "Where MLflow's client logs when its tracking URI names no project (docs/mlflow.md).",
                createdBy: caller.id)
            try await core.projects.create(created)
            return created
        }
    }

    /// Every project the caller holds a role on, active or trashed.
    private func callersProjects(_ context: AuthRequestContext) async throws -> [Project] {
        let caller = try context.requirePrincipal()
        return try await core.projects.projects(
            visibleTo: (caller.id, caller.teams), lifecycle: nil, limit: 10_000, after: nil)
    }
}
