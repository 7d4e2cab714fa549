import Auth
import Hummingbird
import Platform

/// MLflow's `registered-models/alias` (set, delete, resolve) and `get-latest-versions`: the
/// hub's aliases (audited as alias.set, alias.moved, alias.removed) and stages.
enum MLflowAliasRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ mlflow: MLflowRegistry) {
        let registry = mlflow.registry

        MLflowRegistry.route(
            api, .post, "registered-models/alias",
            "MLflow SetRegisteredModelAlias (editors): points the alias at the version, taking it from the version that held it",
            body: ["name": Schema.string, "alias": Schema.string, "version": Schema.string]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let model = try await mlflow.model(input, in: project)
            let alias = try Alias(checking: try input.requiredString("alias"))
            let version = try await mlflow.version(input, of: model)
            _ = try await registry.setAlias(
                alias, of: model, to: version.number, actor: try context.requirePrincipal().id)
            return [:]
        }

        MLflowRegistry.route(
            api, .delete, "registered-models/alias", "MLflow DeleteRegisteredModelAlias (editors)",
            body: ["name": Schema.string, "alias": Schema.string]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let model = try await mlflow.model(input, in: project)
            let alias = Alias(lookingUp: try input.requiredString("alias"))
            // MLflow deletes an alias that is not there without complaint.
            _ = try await registry.removeAlias(alias, of: model, actor: try context.requirePrincipal().id)
            return [:]
        }

        MLflowRegistry.route(
            api, .get, "registered-models/alias", "MLflow GetModelVersionByAlias (viewers)", query: ["name", "alias"]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .viewer)
            let model = try await mlflow.model(input, in: project)
            let alias = try input.requiredString("alias")
            guard let version = try await registry.holder(of: Alias(lookingUp: alias), in: model) else {
                throw APIError.notFound("Registered model alias \(alias) not found.")
            }
            return ["model_version": MLflowRegistryJSON.modelVersion(version)]
        }

        let summary =
            "MLflow GetLatestVersions (viewers): the newest version in each stage asked for (every stage when none is)"
        for method in [HTTPRequest.Method.post, .get] {
            MLflowRegistry.route(
                api, method, "registered-models/get-latest-versions", summary,
                body: method == .post ? ["name": Schema.string, "stages": Schema.array(of: Schema.string)] : nil,
                query: method == .get ? ["name", "stages"] : []
            ) { request, context in
                let (input, project) = try await mlflow.open(request, context, needs: .viewer)
                let model = try await mlflow.model(input, in: project)
                let asked = try input.strings("stages").map { try MLflowRegistryJSON.stage(named: $0, field: "stages") }
                let latest = MLflowRegistryJSON.latestPerStage(
                    try await mlflow.versions(of: model.id), stages: asked.isEmpty ? Stage.allCases : asked)
                return ["model_versions": .array(latest.map(MLflowRegistryJSON.modelVersion))]
            }
        }
    }
}
