import Auth
import Foundation
import Hummingbird
import Platform
import Store

/// Models: create in a project, read, change, delete; their audit log.
enum ModelRoutes {
    struct Fields: Decodable {
        let name: String?
        let description: String?
        let task: String?
        let framework: String?
        let license: String?
        let authors: [String]?
        let `public`: Bool?
    }

    static let modelSchema = Schema.object(
        [
            "id": Schema.id, "projectId": Schema.id, "name": Schema.string, "description": Schema.string, "task": Schema.string,
            "framework": Schema.string, "license": Schema.string, "authors": Schema.array(of: Schema.string), "public": Schema.boolean,
            "owner": Schema.string, "tags": Schema.array(of: Schema.string), "latestVersion": Schema.integer, "deployCount": Schema.integer,
            "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime,
        ],
        required: ["id", "projectId", "name", "owner", "public", "latestVersion", "createdAt"]
    )
    static let fieldsSchema = Schema.object([
        "name": Schema.string, "description": Schema.string, "task": Schema.string, "framework": Schema.string, "license": Schema.string,
        "authors": Schema.array(of: Schema.string), "public": Schema.boolean,
    ])

    /// The checked fields of a creation or change (`name` only when creating).
    static func checked(_ body: Fields, creating: Bool) throws -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        if creating { fields["name"] = .string(try ModelFields.name(body.name)) }
        if !creating, body.name != nil { throw APIError.invalidField("name", "a model keeps its name; create another model instead") }
        for (key, value, max) in [("description", body.description, 10_000), ("task", body.task, 100), ("framework", body.framework, 100), ("license", body.license, 100)] {
            if let text = try ModelFields.text(value, field: key, max: max) { fields[key] = .string(text) }
        }
        if let authors = try ModelFields.authors(body.authors) { fields["authors"] = .array(authors.map(JSONValue.string)) }
        if let isPublic = body.public { fields["public"] = .bool(isPublic) }
        return fields
    }

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: HubCore) {
        api.schema("Model", modelSchema)
        let registry = core.registry

        api.post("/v1/projects/{id}/models", OperationDoc(
            "Create a model in the project (editors); its name is unique in the project, case-insensitively. `public: true` lets every signed-in user find and read it",
            tags: ["models"], body: fieldsSchema, status: 201, response: Schema.ref("Model")
        )) { request, context in
            let projectID = try context.parameters.requireID("id")
            let principal = try context.requirePrincipal()
            try await core.authorizer.require(.editor, on: projectID, for: principal)
            let fields = try checked(try await request.decodeJSON(as: Fields.self, context: context), creating: true)
            return JSONResponse(ModelRegistry.view(try await registry.createModel(projectID: projectID, fields: fields, owner: principal.id)), status: .created)
        }

        api.get("/v1/projects/{id}/models", OperationDoc(
            "The project's models, by id (viewers)", tags: ["models"], query: PageRequest.parameters(),
            response: Schema.object(["items": Schema.array(of: Schema.ref("Model")), "nextAfter": Schema.id], required: ["items"])
        )) { request, context in
            let projectID = try context.parameters.requireID("id")
            try await core.authorizer.require(.viewer, on: projectID, for: try context.requirePrincipal())
            let paging = try PageRequest(request)
            let found = try await core.store.find("models", Query(filter: ["projectId": .string(projectID)], sort: [.ascending("id")], limit: paging.limit, after: paging.after.map { ["id": .string($0)] }))
            return JSONResponse(paging.response(found, view: ModelRegistry.view))
        }

        api.get("/v1/models/{id}", OperationDoc("A model (viewers of its project; anyone signed in when public)", tags: ["models"], response: Schema.ref("Model"))) { _, context in
            JSONResponse(ModelRegistry.view(try await core.model(try context.parameters.requireID("id"), context, needs: .viewer)))
        }

        api.patch("/v1/models/{id}", OperationDoc(
            "Change a model's description, task, framework, license, authors or visibility (editors); its versions follow", tags: ["models"],
            body: fieldsSchema, response: Schema.ref("Model")
        )) { request, context in
            let model = try await core.model(try context.parameters.requireID("id"), context, needs: .editor)
            let changes = try checked(try await request.decodeJSON(as: Fields.self, context: context), creating: false)
            guard !changes.isEmpty else { return JSONResponse(ModelRegistry.view(model)) }
            return JSONResponse(ModelRegistry.view(try await registry.updateModel(model, changes, actor: try context.requirePrincipal().id)))
        }

        api.delete("/v1/models/{id}", OperationDoc(
            "Delete a model with its versions and audit log (owners); `mlex.models.model.deleted` and one `….version.deleted` per version announce it (their files stay in data, with the runs)",
            tags: ["models"], status: 204
        )) { _, context in
            try await registry.deleteModel(try await core.model(try context.parameters.requireID("id"), context, needs: .owner))
            return HTTPResponse.Status.noContent
        }

        api.get("/v1/models/{id}/audit", OperationDoc(
            "Who did what to the model and when, oldest first: model.created, model.updated, version.created, stage.changed (from, to), alias.set, alias.moved (from, to), alias.removed (viewers)",
            tags: ["models"], query: PageRequest.parameters(),
            response: Schema.object(["items": Schema.array(of: Schema.anyObject), "nextAfter": Schema.id], required: ["items"])
        )) { request, context in
            let model = try await core.model(try context.parameters.requireID("id"), context, needs: .viewer)
            let paging = try PageRequest(request)
            let found = try await core.store.find("model_audit", Query(filter: ["modelId": model["id"]!], sort: [.ascending("id")], limit: paging.limit, after: paging.after.map { ["id": .string($0)] }))
            return JSONResponse(paging.response(found))
        }
    }
}
