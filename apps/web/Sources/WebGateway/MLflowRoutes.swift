import HTTPTypes
import Hummingbird
import Platform

/// MLflow's REST API on the one origin (docs/mlflow.md): a tracking URI of `http://host:8000`
/// (the caller's default project) or `http://host:8000/mlflow/<project>` makes MLflow's client
/// call `…/api/2.0/mlflow/…` and `…/api/2.0/mlflow-artifacts/…`. The path goes on unchanged:
/// the model registry's routes to mlhub, everything else (tracking, artifacts) to data.
enum MLflowRoutes {
    /// MLflow 3's client also asks `/api/3.0/mlflow/server-info` what the artifact service can do.
    static let patterns = ["/api/2.0/mlflow/**", "/api/2.0/mlflow-artifacts/**", "/api/3.0/mlflow/**"].flatMap {
        [$0, "/mlflow/{project}\($0)"]
    }

    /// The registry's resources (MLflow's `registered-models/…` and `model-versions/…`) live in the hub.
    static func service(for path: String) -> ServiceName {
        let registry = ["/api/2.0/mlflow/registered-models/", "/api/2.0/mlflow/model-versions/"]
        return registry.contains { path.contains($0) } ? .mlhub : .data
    }

    static func register(_ api: APIBuilder<AppRequestContext>, proxy: GatewayProxy, sessions: BrowserSessions) {
        let doc = OperationDoc(
            "MLflow's REST API, forwarded with its path unchanged: the model registry to mlhub, tracking and artifacts to data (docs/mlflow.md)",
            tags: ["mlflow"],
            open: true
        )
        for pattern in patterns {
            for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
                api.on(method, pattern, doc) { request, context in
                    let path = request.uri.path
                    return try await proxy.forward(
                        request, to: service(for: path).rawValue, path: String(path.dropFirst()), context: context,
                        sessions: sessions)
                }
            }
        }
    }
}
