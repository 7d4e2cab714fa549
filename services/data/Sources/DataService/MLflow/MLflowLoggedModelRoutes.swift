import Auth
import Foundation
import Hummingbird
import Platform

/// MLflow 3's logged models (`/api/2.0/mlflow/logged-models…`, docs/mlflow.md): what
/// `mlflow.<flavor>.log_model` creates, fills through the artifact routes and reads back, and
/// what the registry (mlhub) resolves `models:/<model_id>` with. A model belongs to an
/// experiment, so to its project: viewers read, editors write.
enum MLflowLoggedModelRoutes {
    static let modelSchema = Schema.object(["info": Schema.anyObject, "data": Schema.anyObject])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        let models = MLflowLoggedModelStore(store: core.store)
        let tracking = MLflowTracking(core: core, scope: MLflowScope(core: core))
        let modelResponse = Schema.object(["model": modelSchema])

        MLflowScope.on(
            api, .post, "logged-models",
            OperationDoc(
                "MLflow: create a logged model in an experiment (editors), PENDING until finalized", tags: ["mlflow"],
                body: Schema.object(
                    [
                        "experiment_id": Schema.string, "name": Schema.string, "model_type": Schema.string,
                        "source_run_id": Schema.string, "params": Schema.array(of: Schema.anyObject),
                        "tags": Schema.array(of: Schema.anyObject),
                    ], required: ["experiment_id"]),
                response: modelResponse)
        ) { request, context in
            let body = JSONValue.object(try await MLflowMessage.body(of: request, context: context).fields)
            guard let experimentID = body["experiment_id"]?.stringValue else {
                throw APIError.invalidField("experiment_id", "experiment_id is required")
            }
            let experiment = try await tracking.experiment(experimentID, context, needs: .editor)
            var sourceRunID: String?
            if let runID = body["source_run_id"]?.stringValue, !runID.isEmpty {
                guard ID.isValid(runID), let run = try await core.runs.run(id: runID),
                    run.projectId == experiment.projectId
                else {
                    throw APIError.notFound("no run \(runID) in this experiment's project", field: "source_run_id")
                }
                sourceRunID = run.id
            }
            let id = MLflowLoggedModel.makeID()
            let now = MLflowLoggedModelStore.nowMs()
            let model = MLflowLoggedModel(
                id: id, projectId: experiment.projectId, experimentId: experiment.id,
                name: try MLflowLoggedModelInput.text(body["name"], field: "name")
                    ?? "model-\(id.dropFirst(2).prefix(8))",
                modelType: try MLflowLoggedModelInput.text(body["model_type"], field: "model_type"),
                sourceRunId: sourceRunID, status: .pending, statusMessage: nil,
                tags: try MLflowLoggedModelInput.entries(body["tags"], field: "tags"),
                params: try MLflowLoggedModelInput.entries(body["params"], field: "params"),
                createdBy: try context.requirePrincipal().id, createdAt: Timestamp.now, creationTimestampMs: now,
                lastUpdatedTimestampMs: now, deleted: false)
            try await models.create(model)
            return JSONResponse(["model": model.mlflowJSON()] as JSONValue)
        }

        MLflowScope.on(
            api, .get, "logged-models/{model_id}",
            OperationDoc(
                "MLflow: a logged model (viewers): its `artifact_uri` and `source_run_id` say where its files are",
                tags: ["mlflow"],
                query: [.init("allow_deleted", Schema.boolean, "true: also a deleted model")],
                response: modelResponse)
        ) { request, context in
            let allowDeleted = request.uri.queryParameters.get("allow_deleted") == "true"
            let model = try await model(context, models, core, needs: .viewer, allowDeleted: allowDeleted)
            return JSONResponse(["model": model.mlflowJSON()] as JSONValue)
        }

        MLflowScope.on(
            api, .patch, "logged-models/{model_id}",
            OperationDoc(
                "MLflow: finalize a logged model (editors): `status` LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED",
                tags: ["mlflow"], body: Schema.object(["model_id": Schema.string, "status": Schema.string]),
                response: modelResponse)
        ) { request, context in
            var model = try await model(context, models, core, needs: .editor)
            let body = JSONValue.object(try await MLflowMessage.body(of: request, context: context).fields)
            guard let status = MLflowLoggedModel.Status(mlflow: body["status"]) else {
                throw APIError.invalidField(
                    "status",
                    "status is one of \(MLflowLoggedModel.Status.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            model.status = status
            return JSONResponse(["model": try await models.save(model).mlflowJSON()] as JSONValue)
        }

        MLflowScope.on(
            api, .delete, "logged-models/{model_id}",
            OperationDoc("MLflow: delete a logged model (editors)", tags: ["mlflow"], response: Schema.anyObject)
        ) { _, context in
            var model = try await model(context, models, core, needs: .editor)
            model.deleted = true
            try await models.save(model)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .patch, "logged-models/{model_id}/tags",
            OperationDoc(
                "MLflow: set tags on a logged model (editors)", tags: ["mlflow"],
                body: Schema.object(["tags": Schema.array(of: Schema.anyObject)]), response: modelResponse)
        ) { request, context in
            var model = try await model(context, models, core, needs: .editor)
            let body = JSONValue.object(try await MLflowMessage.body(of: request, context: context).fields)
            model.tags = MLflowLoggedModel.merged(
                model.tags, with: try MLflowLoggedModelInput.entries(body["tags"], field: "tags"))
            return JSONResponse(["model": try await models.save(model).mlflowJSON()] as JSONValue)
        }

        MLflowScope.on(
            api, .delete, "logged-models/{model_id}/tags/{tag_key}",
            OperationDoc(
                "MLflow: remove a tag of a logged model (editors)", tags: ["mlflow"], response: Schema.anyObject)
        ) { _, context in
            var model = try await model(context, models, core, needs: .editor)
            let key = context.parameters.get("tag_key")?.removingPercentEncoding ?? ""
            guard model.tags.contains(where: { $0.key == key }) else {
                throw APIError.notFound("the model has no tag \(key)", field: "tag_key")
            }
            model.tags.removeAll { $0.key == key }
            try await models.save(model)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "logged-models/{model_id}/params",
            OperationDoc(
                "MLflow: log params of a logged model (editors)", tags: ["mlflow"],
                body: Schema.object(["params": Schema.array(of: Schema.anyObject)]), response: Schema.anyObject)
        ) { request, context in
            var model = try await model(context, models, core, needs: .editor)
            let body = JSONValue.object(try await MLflowMessage.body(of: request, context: context).fields)
            model.params = MLflowLoggedModel.merged(
                model.params, with: try MLflowLoggedModelInput.entries(body["params"], field: "params"))
            try await models.save(model)
            return JSONResponse([:] as JSONValue)
        }

        MLflowLoggedModelSearch.register(api, models, tracking)
    }

    /// The path's model when the caller holds `needed` on its project; deleted ones only when
    /// asked for.
    static func model(
        _ context: AuthRequestContext, _ models: MLflowLoggedModelStore, _ core: DataCore, needs needed: ProjectRole,
        allowDeleted: Bool = false
    ) async throws -> MLflowLoggedModel {
        let id = context.parameters.get("model_id") ?? ""
        guard let model = try await models.model(id: id), allowDeleted || !model.deleted else {
            throw APIError.notFound("no logged model \(id)", field: "model_id")
        }
        _ = try await core.project(model.projectId, context, needs: needed)
        return model
    }
}

/// Reading MLflow's request members (protobuf's JSON mapping).
enum MLflowLoggedModelInput {
    static let maxKeyLength = 250
    static let maxValueLength = 8000

    static func text(_ value: JSONValue?, field: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            guard text.count <= maxValueLength else {
                throw APIError.invalidField(field, "\(field) has at most \(maxValueLength) characters")
            }
            return text.isEmpty ? nil : text
        default: throw APIError.invalidField(field, "\(field) is a string")
        }
    }

    /// A list of `{key, value}` (MLflow's tags and params).
    static func entries(_ value: JSONValue?, field: String) throws -> [MLflowLoggedModel.Entry] {
        guard let value, value != .null else { return [] }
        guard let items = value.arrayValue else { throw APIError.invalidField(field, "\(field) is a list") }
        return try items.map { item in
            guard let key = item["key"]?.stringValue, !key.isEmpty, key.count <= maxKeyLength else {
                throw APIError.invalidField("\(field).key", "every entry has a key of 1 to \(maxKeyLength) characters")
            }
            return MLflowLoggedModel.Entry(key: key, value: try text(item["value"], field: "\(field).value") ?? "")
        }
    }
}
