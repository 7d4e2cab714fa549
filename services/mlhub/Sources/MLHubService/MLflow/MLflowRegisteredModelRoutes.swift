import Auth
import Hummingbird
import MLflowFilter
import Platform

/// MLflow's `registered-models/*`: create, get, rename, update, delete, search, tags, aliases
/// and latest versions, over the hub's models of the request's project.
enum MLflowRegisteredModelRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ mlflow: MLflowRegistry) {
        let registry = mlflow.registry
        let name = ["name": Schema.string]
        func on(
            _ method: HTTPRequest.Method, _ path: String, _ summary: String, body: [String: JSONValue]? = nil,
            query: [String] = [],
            use handler: @escaping @Sendable (Request, AuthRequestContext) async throws -> JSONValue
        ) {
            MLflowRegistry.route(
                api, method, "registered-models/\(path)", summary, body: body, query: query, use: handler)
        }

        on(
            .post, "create",
            "MLflow CreateRegisteredModel (editors): a model of the project; RESOURCE_ALREADY_EXISTS when the name is taken",
            body: ["name": Schema.string, "description": Schema.string, "tags": Schema.array(of: Schema.anyObject)]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let name = try ModelFields.name(try input.requiredString("name"))
            let description = try ModelFields.text(try input.text("description"), field: "description", max: 10_000)
            let tags = try input.tags()
            let principal = try context.requirePrincipal()
            var model: Model
            do {
                model = try await registry.createModel(
                    ModelCreation(name: name, description: description), in: project, owner: principal.id)
            } catch let error as APIError where error.code == "model_exists" {
                throw APIError(
                    .conflict, code: "RESOURCE_ALREADY_EXISTS",
                    message: "Registered Model (name=\(name)) already exists.")
            }
            if !tags.isEmpty { model = try await registry.changeMLflowTags(of: model) { $0 = tags } }
            return ["registered_model": try await mlflow.registeredModel(model)]
        }

        on(.get, "get", "MLflow GetRegisteredModel (viewers)", query: ["name"]) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .viewer)
            let model = try await mlflow.model(input, in: project)
            return ["registered_model": try await mlflow.registeredModel(model)]
        }

        on(
            .post, "rename", "MLflow RenameRegisteredModel (editors); its versions follow",
            body: ["name": Schema.string, "new_name": Schema.string]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let model = try await mlflow.model(input, in: project)
            let newName = try ModelFields.name(try input.requiredString("new_name"), field: "new_name")
            let renamed = try await registry.renameModel(model, to: newName, actor: try context.requirePrincipal().id)
            return ["registered_model": try await mlflow.registeredModel(renamed)]
        }

        on(
            .patch, "update", "MLflow UpdateRegisteredModel: its description (editors)",
            body: ["name": Schema.string, "description": Schema.string]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            var model = try await mlflow.model(input, in: project)
            if let description = try ModelFields.text(try input.text("description"), field: "description", max: 10_000)
            {
                model = try await registry.updateModel(
                    model, ModelChange(description: description), actor: try context.requirePrincipal().id)
            }
            return ["registered_model": try await mlflow.registeredModel(model)]
        }

        on(.delete, "delete", "MLflow DeleteRegisteredModel, with its versions (owners)", body: name) {
            request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .owner)
            try await registry.deleteModel(try await mlflow.model(input, in: project))
            return [:]
        }

        on(
            .get, "search",
            "MLflow SearchRegisteredModels (viewers): filter on name (=, !=, LIKE, ILIKE) and tags.<key>; order_by name, creation_timestamp, last_updated_timestamp",
            query: ["filter", "max_results", "order_by", "page_token"]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .viewer)
            let filter = try MLflowRegistryFilter(try input.string("filter"), fields: ["name"])
            let page = try MLflowSearchPage(
                input, defaultLimit: 100, maxLimit: 1000,
                keys: ["name", "timestamp", "creation_timestamp", "last_updated_timestamp"], tieBreak: [("name", true)])
            let matching = try await registry.models(in: project).filter { model in
                filter.matches { attribute in
                    switch attribute {
                    case .field: .string(model.name)
                    case .tag(let key): model.mlflowTags?[key].map(MLflowFilterValue.string)
                    }
                }
            }
            let (found, next) = page.page(matching) { model, key in
                switch key {
                case "name": .text(model.name)
                case "last_updated_timestamp": .number(MLflowRegistryJSON.milliseconds(model.updatedAt))
                default: .number(MLflowRegistryJSON.milliseconds(model.createdAt))
                }
            }
            var models: [JSONValue] = []
            for model in found { models.append(try await mlflow.registeredModel(model)) }
            var answer: JSONValue = ["registered_models": .array(models)]
            if let next { answer["next_page_token"] = .string(next) }
            return answer
        }

        on(
            .post, "set-tag", "MLflow SetRegisteredModelTag (editors)",
            body: ["name": Schema.string, "key": Schema.string, "value": Schema.string]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let model = try await mlflow.model(input, in: project)
            let tag = try input.tag()
            _ = try await registry.changeMLflowTags(of: model) { $0[tag.key] = tag.value }
            return [:]
        }

        on(
            .delete, "delete-tag", "MLflow DeleteRegisteredModelTag (editors)",
            body: ["name": Schema.string, "key": Schema.string]
        ) { request, context in
            let (input, project) = try await mlflow.open(request, context, needs: .editor)
            let model = try await mlflow.model(input, in: project)
            let key = try input.requiredString("key")
            _ = try await registry.changeMLflowTags(of: model) { $0[key] = nil }
            return [:]
        }

        MLflowAliasRoutes.register(api, mlflow)
    }
}
