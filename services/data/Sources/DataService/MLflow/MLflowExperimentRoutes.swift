import Auth
import Foundation
import Hummingbird
import Platform

/// MLflow's experiment calls on our experiments: create, get, get-by-name, search, rename,
/// delete (to our trash), restore and experiment tags.
enum MLflowExperimentRoutes {
    static let experiment = Schema.object(
        [
            "experiment_id": Schema.string, "name": Schema.string, "artifact_location": Schema.string,
            "lifecycle_stage": Schema.enumeration(["active", "deleted"]), "creation_time": Schema.integer,
            "last_update_time": Schema.integer,
            "tags": Schema.array(of: Schema.object(["key": Schema.string, "value": Schema.string])),
        ], required: ["experiment_id", "name", "lifecycle_stage"])
    static let experimentIDBody = Schema.object(["experiment_id": Schema.string], required: ["experiment_id"])
    static let empty = Schema.object([:])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ tracking: MLflowTracking) {
        let core = tracking.core
        let experiments = core.experiments
        let tags = ["mlflow"]

        MLflowScope.on(
            api, .post, "experiments/create",
            OperationDoc(
                "MLflow CreateExperiment: a new experiment in the tracking URI's project (editors)", tags: tags,
                body: Schema.object(
                    [
                        "name": Schema.string, "artifact_location": Schema.string,
                        "tags": Schema.array(of: Schema.object(["key": Schema.string, "value": Schema.string])),
                    ], required: ["name"]),
                response: Schema.object(["experiment_id": Schema.string], required: ["experiment_id"]))
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let name = try Validate.name(try message.string("name", required: true) ?? "")
            let experimentTags = try MLflowTags.experimentTags(try message.messages("tags"), field: "tags")
            let (project, _) = try await tracking.scope.project(context, needs: .editor)
            var created = Experiment(
                name: name, description: "", in: project.id, createdBy: try context.requirePrincipal().id)
            created.tags = experimentTags.isEmpty ? nil : experimentTags
            do {
                try await experiments.create(created)
            } catch let error as APIError where error.code == "name_taken" {
                throw APIError(
                    .conflict, code: "RESOURCE_ALREADY_EXISTS",
                    message: "Experiment '\(name)' already exists (perhaps in the trash).", field: "name")
            }
            return JSONResponse(["experiment_id": .string(created.id)] as JSONValue)
        }

        MLflowScope.on(
            api, .get, "experiments/get",
            OperationDoc(
                "MLflow GetExperiment; \"0\" is the project's experiment named Default (viewers)", tags: tags,
                query: [.init("experiment_id", Schema.string, "the experiment's id, or 0", required: true)],
                response: Schema.object(["experiment": experiment], required: ["experiment"]))
        ) { request, context in
            let id = try MLflowMessage.query(of: request).string("experiment_id", required: true) ?? ""
            let found = try await tracking.experiment(id, context, needs: .viewer)
            return JSONResponse(["experiment": MLflowViews.experiment(found)] as JSONValue)
        }

        MLflowScope.on(
            api, .get, "experiments/get-by-name",
            OperationDoc(
                "MLflow GetExperimentByName, in the tracking URI's project (viewers)", tags: tags,
                query: [.init("experiment_name", Schema.string, "the experiment's name", required: true)],
                response: Schema.object(["experiment": experiment], required: ["experiment"]))
        ) { request, context in
            let name = try MLflowMessage.query(of: request).string("experiment_name", required: true) ?? ""
            let (project, _) = try await tracking.scope.project(context, needs: .viewer)
            let found: Experiment?
            if name == MLflowTracking.defaultExperimentName {
                found = try await tracking.defaultExperiment(in: project, by: try context.requirePrincipal().id)
            } else {
                found = try await experiments.experiment(named: name, in: project.id)
            }
            // Names compare case-insensitively in our store; MLflow's are exact.
            guard let found, found.name == name else {
                throw APIError.notFound("Could not find experiment with name '\(name)'", field: "experiment_name")
            }
            return JSONResponse(["experiment": MLflowViews.experiment(found)] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "experiments/search",
            OperationDoc(
                "MLflow SearchExperiments in the tracking URI's project: filter on name, tags and times (= != < <= > >= LIKE ILIKE, AND), order_by, view_type, pages (viewers)",
                tags: tags,
                body: Schema.object([
                    "max_results": Schema.integer, "page_token": Schema.string, "filter": Schema.string,
                    "order_by": Schema.array(of: Schema.string),
                    "view_type": Schema.enumeration(["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]),
                ]),
                response: Schema.object(
                    ["experiments": Schema.array(of: experiment), "next_page_token": Schema.string]))
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let search = try MLflowExperimentSearch(message)
            let (project, _) = try await tracking.scope.project(context, needs: .viewer)
            let (found, next) = try await search.run(in: project.id, experiments)
            var answer: [String: JSONValue] = ["experiments": .array(found.map(MLflowViews.experiment))]
            if let next { answer["next_page_token"] = .string(next) }
            return JSONResponse(JSONValue.object(answer))
        }

        MLflowScope.on(
            api, .post, "experiments/update",
            OperationDoc(
                "MLflow UpdateExperiment: rename (editors)", tags: tags,
                body: Schema.object(
                    ["experiment_id": Schema.string, "new_name": Schema.string], required: ["experiment_id"]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let id = try message.string("experiment_id", required: true) ?? ""
            let found = try await tracking.experiment(id, context, needs: .editor)
            guard let newName = try message.string("new_name") else { return JSONResponse([:] as JSONValue) }
            var changed = found
            changed.name = try Validate.name(newName, field: "new_name")
            if changed != found {
                do {
                    _ = try await experiments.update(found, to: changed)
                } catch let error as APIError where error.code == "name_taken" {
                    throw APIError(
                        .conflict, code: "RESOURCE_ALREADY_EXISTS",
                        message: "Experiment '\(newName)' already exists.", field: "new_name")
                }
            }
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "experiments/delete",
            OperationDoc(
                "MLflow DeleteExperiment: to our trash, restorable (editors)", tags: tags, body: experimentIDBody,
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let id = try message.string("experiment_id", required: true) ?? ""
            let found = try await tracking.experiment(id, context, needs: .editor, trashed: true)
            try await experiments.entities.remove(found, purge: false)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "experiments/restore",
            OperationDoc(
                "MLflow RestoreExperiment: out of our trash (editors)", tags: tags, body: experimentIDBody,
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let id = try message.string("experiment_id", required: true) ?? ""
            let found = try await tracking.experiment(id, context, needs: .editor, trashed: true)
            _ = try await experiments.entities.restore(found)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "experiments/set-experiment-tag",
            OperationDoc(
                "MLflow SetExperimentTag (editors)", tags: tags,
                body: Schema.object(
                    ["experiment_id": Schema.string, "key": Schema.string, "value": Schema.string],
                    required: ["experiment_id", "key"]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let id = try message.string("experiment_id", required: true) ?? ""
            let key = try message.string("key", required: true) ?? ""
            let value = try message.text("value")
            try MLflowTags.checkTag(key: key, value: value, field: "key")
            let found = try await tracking.experiment(id, context, needs: .editor)
            var changed = found
            var current = found.tags ?? []
            if let index = current.firstIndex(where: { $0.key == key }) {
                current[index].value = value
            } else {
                current.append(ExperimentTag(key: key, value: value))
            }
            changed.tags = current
            if changed != found { _ = try await experiments.update(found, to: changed) }
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "experiments/delete-experiment-tag",
            OperationDoc(
                "MLflow DeleteExperimentTag (editors)", tags: tags,
                body: Schema.object(
                    ["experiment_id": Schema.string, "key": Schema.string], required: ["experiment_id", "key"]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let id = try message.string("experiment_id", required: true) ?? ""
            let key = try message.string("key", required: true) ?? ""
            let found = try await tracking.experiment(id, context, needs: .editor)
            guard (found.tags ?? []).contains(where: { $0.key == key }) else {
                throw APIError.notFound("No tag with name: \(key) in experiment with id \(found.id)", field: "key")
            }
            var changed = found
            changed.tags = (found.tags ?? []).filter { $0.key != key }
            _ = try await experiments.update(found, to: changed)
            return JSONResponse([:] as JSONValue)
        }
    }
}
