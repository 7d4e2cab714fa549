import Auth
import Foundation
import Hummingbird
import Platform

/// Models: create in a project, read, change, delete; their audit log.
enum ModelRoutes {
    static let modelSchema = Schema.object(
        [
            "id": Schema.id, "projectId": Schema.id, "name": Schema.string, "description": Schema.string,
            "task": Schema.string,
            "framework": Schema.string, "license": Schema.string, "authors": Schema.array(of: Schema.string),
            "public": Schema.boolean,
            "owner": Schema.string, "tags": Schema.array(of: Schema.string), "latestVersion": Schema.integer,
            "mlflowTags": MLflowRegistryJSON.tagsSchema,
            "deployCount": Schema.integer,
            "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime,
        ],
        required: ["id", "projectId", "name", "owner", "public", "latestVersion", "createdAt"]
    )
    static let fieldsSchema = Schema.object([
        "name": Schema.string, "description": Schema.string, "task": Schema.string, "framework": Schema.string,
        "license": Schema.string,
        "authors": Schema.array(of: Schema.string), "public": Schema.boolean,
    ])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: HubCore) {
        api.schema("Model", modelSchema)
        let registry = core.registry

        api.post(
            "/v1/projects/{id}/models",
            OperationDoc(
                "Create a model in the project (editors); its name is unique in the project, case-insensitively. `public: true` lets every signed-in user find and read it",
                tags: ["models"], body: fieldsSchema, status: 201, response: Schema.ref("Model")
            )
        ) { request, context in
            let projectID = try context.parameters.requireID("id")
            let principal = try context.requirePrincipal()
            try await core.authorizer.require(.editor, on: projectID, for: principal)
            let creation = try await request.decodeJSON(as: ModelCreation.self, context: context)
            return JSONResponse(
                try JSONValue(encoding: try await registry.createModel(creation, in: projectID, owner: principal.id)),
                status: .created)
        }

        api.get(
            "/v1/projects/{id}/models",
            OperationDoc(
                "The project's models, by id (viewers)", tags: ["models"], query: PageRequest.parameters(),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Model")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let projectID = try context.parameters.requireID("id")
            try await core.authorizer.require(.viewer, on: projectID, for: try context.requirePrincipal())
            let paging = try PageRequest(request)
            let found = try await registry.models(in: projectID, page: paging)
            return JSONResponse(paging.response(try found.map { try JSONValue(encoding: $0) }))
        }

        api.get(
            "/v1/models/{id}",
            OperationDoc(
                "A model (viewers of its project; anyone signed in when public)", tags: ["models"],
                response: Schema.ref("Model"))
        ) { _, context in
            JSONResponse(
                try JSONValue(
                    encoding: try await core.model(try context.parameters.requireID("id"), context, needs: .viewer)))
        }

        api.patch(
            "/v1/models/{id}",
            OperationDoc(
                "Change a model's description, task, framework, license, authors or visibility (editors); its versions follow",
                tags: ["models"],
                body: fieldsSchema, response: Schema.ref("Model")
            )
        ) { request, context in
            let model = try await core.model(try context.parameters.requireID("id"), context, needs: .editor)
            let change = try await request.decodeJSON(as: ModelChange.self, context: context)
            guard !change.isEmpty else { return JSONResponse(try JSONValue(encoding: model)) }
            return JSONResponse(
                try JSONValue(
                    encoding: try await registry.updateModel(model, change, actor: try context.requirePrincipal().id)))
        }

        api.delete(
            "/v1/models/{id}",
            OperationDoc(
                "Delete a model with its versions and audit log (owners); `mlex.models.model.deleted` and one `….version.deleted` per version announce it (their files stay in data, with the runs)",
                tags: ["models"], status: 204
            )
        ) { _, context in
            try await registry.deleteModel(
                try await core.model(try context.parameters.requireID("id"), context, needs: .owner))
            return HTTPResponse.Status.noContent
        }

        api.get(
            "/v1/models/{id}/audit",
            OperationDoc(
                "Who did what to the model and when, oldest first: model.created, model.updated, version.created, stage.changed (from, to), alias.set, alias.moved (from, to), alias.removed (viewers)",
                tags: ["models"], query: PageRequest.parameters(),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.anyObject), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let model = try await core.model(try context.parameters.requireID("id"), context, needs: .viewer)
            let paging = try PageRequest(request)
            let found = try await registry.audit(of: model, page: paging)
            return JSONResponse(paging.response(try found.map { try JSONValue(encoding: $0) }))
        }
    }
}
