import Auth
import Foundation
import Hummingbird
import Platform

/// MLflow's tracking REST API (docs/mlflow.md) on our projects, experiments and runs, at the bare
/// `/api/2.0/mlflow/…` paths (the caller's default project) and behind `/mlflow/{project}`, and
/// the project resolution other services share (`POST /v1/mlflow/projects/resolve`).
enum MLflowTrackingRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        let scope = MLflowScope(core: core)
        let tracking = MLflowTracking(core: core, scope: scope)
        registerResolve(api, scope)
        MLflowExperimentRoutes.register(api, tracking)
        MLflowRunRoutes.register(api, tracking)
        MLflowLoggingRoutes.register(api, tracking)
        MLflowRunSearchRoutes.register(api, tracking)
        MLflowMetricRoutes.register(api, tracking)
    }

    /// mlhub's MLflow registry acts in the project an MLflow request names, resolved the same
    /// way here (the default project is created on first use).
    private static func registerResolve(_ api: APIBuilder<AuthRequestContext>, _ scope: MLflowScope) {
        api.post(
            "/v1/mlflow/projects/resolve",
            OperationDoc(
                "The project an MLflow tracking URI names for the caller: `project` is an id or the name of one of the caller's projects; without it, the caller's default project (named Default, created on first use). 404 when none, 400 when several of the caller's projects have that name",
                tags: ["mlflow"],
                body: Schema.object(["project": Schema.string]),
                response: Schema.object(
                    ["projectId": Schema.id, "role": Schema.enumeration(ProjectRole.allCases.map(\.rawValue))],
                    required: ["projectId", "role"]))
        ) { request, context in
            let body = try await request.parseJSON(context: context)
            guard let members = body.objectValue else {
                throw APIError.badRequest("the body is a JSON object", code: "invalid_type")
            }
            let reference: String?
            switch members["project"] {
            case nil, .null?: reference = nil
            case .string(let text)?: reference = text
            default: throw APIError.invalidField("project", "project is a project's id or name")
            }
            let (project, role) = try await scope.project(reference: reference, context, needs: .viewer)
            return JSONResponse(["projectId": .string(project.id), "role": .string(role.rawValue)] as JSONValue)
        }
    }
}
