import Auth
import Foundation
import Hummingbird
import Platform

/// Experiments inside a project: editors create, rename, trash and restore them; owners purge.
enum ExperimentRoutes {
    static let experiment = Schema.object(
        [
            "id": Schema.id, "projectId": Schema.id, "name": Schema.string, "description": Schema.string,
            "lifecycle": Schema.enumeration(Lifecycle.allCases.map(\.rawValue)), "createdBy": Schema.id,
            "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime, "trashedAt": Schema.dateTime,
            "tags": Schema.array(of: Schema.object(["key": Schema.string, "value": Schema.string])),
        ],
        required: ["id", "projectId", "name", "lifecycle", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("Experiment", experiment)
        let experiments = core.experiments

        api.post(
            "/v1/projects/{id}/experiments",
            OperationDoc(
                "Create an experiment; its name is unique in the project (editors)", tags: ["experiments"],
                body: NamedCreation.schema, status: 201, response: Schema.ref("Experiment")
            )
        ) { request, context in
            let (project, _) = try await core.project(try context.parameters.requireID("id"), context, needs: .editor)
            let (name, description) = try await request.decodeJSON(as: NamedCreation.self, context: context).validated()
            let created = Experiment(
                name: name, description: description, in: project.id, createdBy: try context.requirePrincipal().id)
            try await experiments.create(created)
            return JSONResponse(try created.view(), status: .created)
        }

        api.get(
            "/v1/projects/{id}/experiments",
            OperationDoc(
                "The project's experiments, by id (viewers)", tags: ["experiments"],
                query: PageRequest.parameters() + [Lifecycle.viewParameter],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Experiment")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let (project, _) = try await core.project(try context.parameters.requireID("id"), context, needs: .viewer)
            let page = try PageRequest(request)
            let found = try await experiments.experiments(
                in: project.id, lifecycle: try Lifecycle.view(request), limit: page.limit, after: page.after)
            return JSONResponse(page.response(try found.map { try $0.view() }))
        }

        api.get(
            "/v1/projects/{id}/experiments/by-name",
            OperationDoc(
                "The project's experiment with this name, compared case-insensitively (viewers)", tags: ["experiments"],
                query: [.init("name", Schema.string, "the experiment's name", required: true)],
                response: Schema.ref("Experiment")
            )
        ) { request, context in
            let (project, _) = try await core.project(try context.parameters.requireID("id"), context, needs: .viewer)
            guard let name = request.uri.queryParameters.get("name"), !name.isEmpty else {
                throw APIError.invalidField("name", "name is required")
            }
            guard
                let found = try await experiments.experiment(
                    named: name.trimmingCharacters(in: .whitespaces), in: project.id)
            else {
                throw APIError.notFound("the project has no experiment named \(name)", field: "name")
            }
            return JSONResponse(try found.view())
        }

        api.get(
            "/v1/experiments/{id}",
            OperationDoc(
                "An experiment (viewers of its project)", tags: ["experiments"], response: Schema.ref("Experiment"))
        ) { _, context in
            JSONResponse(
                try await core.experiment(try context.parameters.requireID("id"), context, needs: .viewer).view())
        }

        api.patch(
            "/v1/experiments/{id}",
            OperationDoc(
                "Rename an experiment or change its description (editors)", tags: ["experiments"],
                body: NamedChange.schema, response: Schema.ref("Experiment")
            )
        ) { request, context in
            let found = try await core.experiment(try context.parameters.requireID("id"), context, needs: .editor)
            let body = try await request.decodeJSON(as: NamedChange.self, context: context)
            guard let changed = try body.applied(to: found) else { return JSONResponse(try found.view()) }
            return JSONResponse(try await experiments.update(found, to: changed).view())
        }

        api.delete(
            "/v1/experiments/{id}",
            OperationDoc(
                "Move an experiment to the trash (editors), or with purge=true delete a trashed one and all its runs (owners)",
                tags: ["experiments"],
                query: [OperationDoc.purgeParameter], response: OperationDoc.freedBytes
            )
        ) { request, context in
            let id = try context.parameters.requireID("id")
            let found = try await core.experiment(
                id, context, needs: request.wantsPurge ? .owner : .editor, trashed: true)
            return JSONResponse(
                ["freedBytes": .int(try await experiments.entities.remove(found, purge: request.wantsPurge))]
                    as JSONValue)
        }

        api.post(
            "/v1/experiments/{id}/restore",
            OperationDoc(
                "Take an experiment out of the trash (editors)", tags: ["experiments"],
                response: Schema.ref("Experiment"))
        ) { _, context in
            let found = try await core.experiment(
                try context.parameters.requireID("id"), context, needs: .editor, trashed: true)
            return JSONResponse(try await experiments.entities.restore(found).view())
        }
    }
}
