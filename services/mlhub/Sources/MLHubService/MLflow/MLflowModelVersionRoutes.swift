import Auth
import DataClient
import Hummingbird
import Platform

/// MLflow's `model-versions/*`: create (from a run's files or a logged model), get, update,
/// delete, stage transitions, tags, search and the download URI, over the hub's versions.
enum MLflowModelVersionRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ mlflow: MLflowRegistry) {
        let registry = mlflow.registry
        let core = mlflow.core
        let named = ["name": Schema.string, "version": Schema.string]
        func on(
            _ method: HTTPRequest.Method, _ path: String, _ summary: String, body: [String: JSONValue]? = nil,
            query: [String] = [],
            use handler: @escaping @Sendable (Request, AuthRequestContext) async throws -> JSONValue
        ) {
            MLflowRegistry.route(api, method, "model-versions/\(path)", summary, body: body, query: query, use: handler)
        }

        on(
            .post, "create",
            "MLflow CreateModelVersion (editors): the model's next version, its files those `source` names (runs:/, mlflow-artifacts:/ of a run of the project, or models:/<logged model>); status READY",
            body: [
                "name": Schema.string, "source": Schema.string, "run_id": Schema.string, "model_id": Schema.string,
                "description": Schema.string, "tags": Schema.array(of: Schema.anyObject), "run_link": Schema.string,
            ]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let model = try await mlflow.model(input, in: project)
            let principal = try context.requirePrincipal()
            let sourceURI = try input.requiredString("source")
            let description = try ModelFields.text(try input.text("description"), field: "description", max: 10_000)
            let tags = try input.tags()
            let found = try await MLflowModelSource.resolve(
                source: sourceURI, runID: try input.string("run_id"), modelID: try input.string("model_id"),
                projectID: project, data: core.data, token: try MLflowRegistryScope.callerToken(request))
            let creation = VersionCreation(
                description: description, metrics: [:], source: VersionSource(runId: found.runID),
                files: .init(runId: found.runID, prefix: found.prefix))
            var draft = try await VersionRoutes.checked(creation, model: model, core: core, principal: principal)
            draft.source.mlflowURI = sourceURI
            draft.source.loggedModelId = found.loggedModelID
            draft.mlflowTags = tags.isEmpty ? nil : KeyValueTags(tags)
            draft.metrics = try await latestMetrics(of: found.runID, data: core.data)
            let version = try await registry.createVersion(of: model.id, draft, actor: principal.id)
            return ["model_version": MLflowRegistryJSON.modelVersion(version)]
        }

        on(.get, "get", "MLflow GetModelVersion (viewers)", query: ["name", "version"]) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .viewer)
            let version = try await mlflow.version(input, of: try await mlflow.model(input, in: project))
            return ["model_version": MLflowRegistryJSON.modelVersion(version)]
        }

        on(
            .patch, "update", "MLflow UpdateModelVersion: its description (editors)",
            body: named.merging(["description": Schema.string]) { $1 }
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            var version = try await mlflow.version(input, of: try await mlflow.model(input, in: project))
            if let description = try ModelFields.text(try input.text("description"), field: "description", max: 10_000)
            {
                version = try await registry.describeVersion(version, as: description)
            }
            return ["model_version": MLflowRegistryJSON.modelVersion(version)]
        }

        on(.delete, "delete", "MLflow DeleteModelVersion (owners); its number is not given again", body: named) {
            request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .owner)
            let version = try await mlflow.version(input, of: try await mlflow.model(input, in: project))
            try await registry.deleteVersion(version, actor: try context.requirePrincipal().id)
            return [:]
        }

        on(
            .post, "transition-stage",
            "MLflow TransitionModelVersionStage (editors): None, Staging, Production or Archived; archive_existing_versions archives the model's other versions in that stage. Audited as stage.changed",
            body: named.merging(["stage": Schema.string, "archive_existing_versions": Schema.boolean]) { $1 }
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let version = try await mlflow.version(input, of: try await mlflow.model(input, in: project))
            let stage = try MLflowRegistryJSON.stage(named: try input.requiredString("stage"))
            let moved = try await registry.setStage(
                version, to: stage, archiveOthers: try input.bool("archive_existing_versions"),
                actor: try context.requirePrincipal().id)
            return ["model_version": MLflowRegistryJSON.modelVersion(moved)]
        }

        on(
            .post, "set-tag", "MLflow SetModelVersionTag (editors)",
            body: named.merging(["key": Schema.string, "value": Schema.string]) { $1 }
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let version = try await mlflow.version(input, of: try await mlflow.model(input, in: project))
            let tag = try input.tag()
            _ = try await registry.changeMLflowTags(of: version) { $0[tag.key] = tag.value }
            return [:]
        }

        on(
            .delete, "delete-tag", "MLflow DeleteModelVersionTag (editors)",
            body: named.merging(["key": Schema.string]) { $1 }
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let version = try await mlflow.version(input, of: try await mlflow.model(input, in: project))
            let key = try input.requiredString("key")
            _ = try await registry.changeMLflowTags(of: version) { $0[key] = nil }
            return [:]
        }

        on(
            .get, "get-download-uri",
            "MLflow GetModelVersionDownloadUri (viewers): the mlflow-artifacts URI of the version's files",
            query: ["name", "version"]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .viewer)
            let version = try await mlflow.version(input, of: try await mlflow.model(input, in: project))
            return ["artifact_uri": .string(try await downloadURI(of: version, data: core.data))]
        }

        MLflowVersionSearch.register(api, mlflow)
    }

    /// The run's latest value of each metric, as the version's metrics (leaderboards rank
    /// them); names the hub cannot keep as a field are left out.
    static func latestMetrics(of runID: String, data: DataClient) async throws -> [String: JSONValue] {
        let run: JSONValue
        do {
            run = try await data.run(runID)
        } catch let error as PeerError {
            throw error.apiError
        }
        return (run["metrics"]?.objectValue ?? [:]).filter { key, value in
            (try? ModelFields.metricKey(key)) != nil && value.numberValue?.isFinite == true
        }
    }

    /// `mlflow-artifacts:/<experimentId>/<runId>/artifacts/<path>` of the version's files,
    /// which MLflow's client downloads through data's artifact API.
    static func downloadURI(of version: ModelVersion, data: DataClient) async throws -> String {
        guard let files = version.files, let runID = files.runId else {
            throw APIError.invalidField("version", "the version's files are not a run's; download them with mlex")
        }
        let run: JSONValue
        do {
            run = try await data.run(runID)
        } catch let error as PeerError {
            throw error.apiError
        }
        guard let experimentID = run["experimentId"]?.stringValue else {
            throw APIError.unavailable("the data service answered a run without an experiment")
        }
        let path = files.prefix.hasSuffix("/") ? String(files.prefix.dropLast()) : files.prefix
        return "mlflow-artifacts:/\(experimentID)/\(runID)/artifacts" + (path.isEmpty ? "" : "/\(path)")
    }
}
