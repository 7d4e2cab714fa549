import Auth
import Hummingbird
import MLflowFilter
import Platform
import Store

/// MLflow's `model-versions/search` over the versions of the request's project: filter on
/// name, run_id, source_path, version_number and tags.<key>; order_by name, version_number,
/// creation_timestamp, last_updated_timestamp (MLflow's default: newest change first).
enum MLflowVersionSearch {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ mlflow: MLflowRegistry) {
        MLflowRegistry.route(
            api, .get, "model-versions/search",
            "MLflow SearchModelVersions (viewers): filter on name, run_id (= or IN), source_path, version_number and tags.<key>",
            query: ["filter", "max_results", "order_by", "page_token"]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .viewer)
            let filter = try MLflowRegistryFilter(
                try input.string("filter"), fields: ["name", "run_id", "source_path", "version_number"])
            let page = try MLflowSearchPage(
                input, defaultLimit: 10_000, maxLimit: 200_000,
                keys: ["name", "version_number", "timestamp", "creation_timestamp", "last_updated_timestamp"],
                tieBreak: [("last_updated_timestamp", false), ("name", true), ("version_number", false)])
            let matching = try await candidates(filter, project: project, mlflow: mlflow).filter { version in
                filter.matches { attribute in value(of: version, attribute) }
            }
            let (found, next) = page.page(matching) { version, key in
                switch key {
                case "name": .text(version.model.name)
                case "version_number": .number(version.number)
                case "last_updated_timestamp": .number(MLflowRegistryJSON.milliseconds(version.updatedAt))
                default: .number(MLflowRegistryJSON.milliseconds(version.createdAt))
                }
            }
            var answer: JSONValue = ["model_versions": .array(found.map(MLflowRegistryJSON.modelVersion))]
            if let next { answer["next_page_token"] = .string(next) }
            return answer
        }
    }

    /// The versions the filter may match: one model's when it names one (`name = 'x'`), the
    /// project's otherwise.
    private static func candidates(
        _ filter: MLflowRegistryFilter, project: String, mlflow: MLflowRegistry
    ) async throws -> [ModelVersion] {
        if let name = filter.exactName {
            guard let model = try await mlflow.registry.model(named: name, in: project), model.name == name else {
                return []
            }
            return try await mlflow.versions(of: model.id)
        }
        return try await mlflow.core.store.find("model_versions", Query(filter: ["projectId": .string(project)]))
            .map { try $0.decoded(as: ModelVersion.self) }
    }

    private static func value(
        of version: ModelVersion, _ attribute: MLflowRegistryFilter.Attribute
    )
        -> MLflowFilterValue?
    {
        switch attribute {
        case .tag(let key): version.mlflowTags?[key].map(MLflowFilterValue.string)
        case .field("name"): .string(version.model.name)
        case .field("run_id"): (version.source.runId ?? version.files?.runId).map(MLflowFilterValue.string)
        case .field("source_path"): .string(MLflowRegistryJSON.source(of: version))
        case .field("version_number"): .number(Double(version.number))
        case .field: nil
        }
    }
}
