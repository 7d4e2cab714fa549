import Foundation
import Platform

/// Our models and versions in MLflow's shape (model_registry.proto, snake_case JSON): a model
/// is a RegisteredModel, a version a ModelVersion whose `version` is its number as a string.
enum MLflowRegistryJSON {
    /// How the hub's own API shows a model's or version's MLflow tags (`mlflowTags`).
    static let tagsSchema = Schema.array(
        of: Schema.object(["key": Schema.string, "value": Schema.string], required: ["key", "value"]))

    static func registeredModel(_ model: Model, versions: [ModelVersion]) -> JSONValue {
        var json: JSONValue = [
            "name": .string(model.name),
            "creation_timestamp": .int(milliseconds(model.createdAt)),
            "last_updated_timestamp": .int(milliseconds(model.updatedAt)),
            "user_id": .string(model.owner),
            "latest_versions": .array(latestPerStage(versions).map(modelVersion)),
            "tags": tags(model.mlflowTags?.values),
            "aliases": .array(
                versions.sorted { $0.number < $1.number }.flatMap { version in
                    version.aliases.sorted().map { ["alias": .string($0), "version": .string(String(version.number))] }
                }),
        ]
        if let description = model.description { json["description"] = .string(description) }
        return json
    }

    static func modelVersion(_ version: ModelVersion) -> JSONValue {
        var json: JSONValue = [
            "name": .string(version.model.name),
            "version": .string(String(version.number)),
            "creation_timestamp": .int(milliseconds(version.createdAt)),
            "last_updated_timestamp": .int(milliseconds(version.updatedAt)),
            "user_id": .string(version.createdBy),
            "current_stage": .string(stageName(version.stage)),
            "source": .string(source(of: version)),
            "status": "READY",
            "tags": tags(version.mlflowTags?.values),
            "aliases": .array(version.aliases.sorted().map(JSONValue.string)),
        ]
        if let description = version.description { json["description"] = .string(description) }
        if let runID = version.source.runId ?? version.files?.runId { json["run_id"] = .string(runID) }
        if let modelID = version.source.loggedModelId { json["model_id"] = .string(modelID) }
        return json
    }

    /// What MLflow's client registered the version from; for a version made through the hub's
    /// own API, the `runs:/` URI of its files, which MLflow's client resolves through the run.
    static func source(of version: ModelVersion) -> String {
        if let uri = version.source.mlflowURI { return uri }
        guard let files = version.files, let runID = files.runId else { return "" }
        let path = files.prefix.hasSuffix("/") ? String(files.prefix.dropLast()) : files.prefix
        return "runs:/\(runID)" + (path.isEmpty ? "" : "/\(path)")
    }

    /// The newest version in each stage, in MLflow's stage order.
    static func latestPerStage(_ versions: [ModelVersion], stages: [Stage] = Stage.allCases) -> [ModelVersion] {
        stages.compactMap { stage in versions.filter { $0.stage == stage }.max { $0.number < $1.number } }
    }

    /// MLflow's stage names: None, Staging, Production, Archived.
    static func stageName(_ stage: Stage) -> String {
        stage == .none ? "None" : stage.rawValue.prefix(1).uppercased() + stage.rawValue.dropFirst()
    }

    /// A stage as MLflow's client names it, in any case; 400 naming `field` otherwise.
    static func stage(named text: String, field: String = "stage") throws -> Stage {
        guard let stage = Stage(rawValue: text.lowercased()) else {
            throw APIError.invalidField(field, "stage is one of None, Staging, Production, Archived (got \(text))")
        }
        return stage
    }

    static func tags(_ tags: [String: String]?) -> JSONValue {
        .array(
            (tags ?? [:]).sorted { $0.key < $1.key }.map { ["key": .string($0.key), "value": .string($0.value)] })
    }

    static func milliseconds(_ timestamp: String) -> Int64 {
        Timestamp.parse(timestamp).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0
    }
}
