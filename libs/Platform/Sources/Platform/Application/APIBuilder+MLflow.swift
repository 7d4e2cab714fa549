import Hummingbird

extension APIBuilder {
    /// Registers `handler` at the two places MLflow's client calls a route: `/api/<path>` (a
    /// tracking URI naming only the host: the caller's default project) and
    /// `/mlflow/{project}/api/<path>` (a tracking URI naming a project). `path` starts at the API's
    /// version: `2.0/mlflow/runs/create`, `2.0/mlflow-artifacts/artifacts/{path}`,
    /// `3.0/mlflow/server-info`. Data and mlhub both serve MLflow's API this way (docs/mlflow.md).
    public func onMLflow<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ doc: OperationDoc,
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(method, "/api/\(path)", doc, use: handler)
        on(method, "/mlflow/{project}/api/\(path)", doc, use: handler)
    }
}
