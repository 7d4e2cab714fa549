import Auth
import HTTPTypes
import Hummingbird
import Platform
import Store

/// MLflow's model registry REST API (docs/mlflow.md) over the hub's own models and versions:
/// a registered model is a model of the request's project found by name, a model version is
/// one of its numbered versions. Every write goes through `ModelRegistry`, so what MLflow's
/// client does shows in `/v1/models…`, search and the audit log as if done through the hub.
struct MLflowRegistry: Sendable {
    let core: HubCore
    let scope: MLflowRegistryScope
    var registry: ModelRegistry { core.registry }

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: HubCore) {
        let mlflow = MLflowRegistry(core: core, scope: MLflowRegistryScope(core: core))
        MLflowRegisteredModelRoutes.register(api, mlflow)
        MLflowModelVersionRoutes.register(api, mlflow)
    }

    /// Registers an MLflow operation at both its paths, documented, answering its JSON.
    static func route(
        _ api: APIBuilder<AuthRequestContext>, _ method: HTTPRequest.Method, _ path: String, _ summary: String,
        body: [String: JSONValue]? = nil, query: [String] = [],
        use handler: @escaping @Sendable (Request, AuthRequestContext) async throws -> JSONValue
    ) {
        MLflowRegistryScope.on(
            api, method, path,
            OperationDoc(
                summary, tags: ["mlflow registry"], query: query.map { .init($0, Schema.string, $0) },
                body: body.map { Schema.object($0) }, response: Schema.anyObject)
        ) { request, context in
            JSONResponse(try await handler(request, context))
        }
    }

    /// The request's fields and the project it acts in, when the caller holds `needed` there.
    func open(
        _ request: Request, _ context: AuthRequestContext, needs needed: ProjectRole
    ) async throws -> (input: MLflowInput, project: String) {
        let input = try await MLflowInput.read(request, context)
        return (input, try await scope.project(request, context, needs: needed))
    }

    /// The project's model named by the input's `name` (case-insensitively, as the hub's names
    /// are unique); 404 RESOURCE_DOES_NOT_EXIST otherwise.
    func model(_ input: MLflowInput, in projectID: String, field: String = "name") async throws -> Model {
        let name = try input.requiredString(field)
        guard let model = try await registry.model(named: name, in: projectID) else {
            throw APIError.notFound("Registered Model with name=\(name) not found")
        }
        return model
    }

    /// The model's version named by the input's `version` (a number, as a string or not).
    func version(_ input: MLflowInput, of model: Model) async throws -> ModelVersion {
        let text = try input.requiredString("version")
        guard let number = Int64(text) else {
            throw APIError.invalidField("version", "a model version is a number (got \(text))")
        }
        guard let version = try await registry.version(of: model.id, number: number) else {
            throw APIError.notFound("Model Version (name=\(model.name), version=\(number)) not found")
        }
        return version
    }

    /// Every version of the model, oldest first.
    func versions(of modelID: String) async throws -> [ModelVersion] {
        try await core.store.find("model_versions", Query(filter: ["modelId": .string(modelID)]))
            .map { try $0.decoded(as: ModelVersion.self) }.sorted { $0.number < $1.number }
    }

    func registeredModel(_ model: Model) async throws -> JSONValue {
        MLflowRegistryJSON.registeredModel(model, versions: try await versions(of: model.id))
    }
}
