import Auth
import Foundation
import Hummingbird
import Platform

/// Runs inside an experiment: editors create and change them; params are written once, tags
/// overwrite; a terminal status announces `run.finished`.
enum RunRoutes {
    static let run = Schema.object(
        [
            "id": Schema.id, "projectId": Schema.id, "experimentId": Schema.id, "name": Schema.string,
            "status": Schema.enumeration(RunStatus.allCases.map(\.rawValue)), "startTime": Schema.dateTime,
            "endTime": Schema.dateTime,
            "createdBy": Schema.string, "parentRunId": Schema.id, "source": Schema.anyObject,
            "params": Schema.anyObject, "tags": Schema.anyObject, "metrics": Schema.anyObject,
            "metricSummaries": Schema.anyObject,
            "lifecycle": Schema.enumeration(Lifecycle.allCases.map(\.rawValue)), "createdAt": Schema.dateTime,
            "updatedAt": Schema.dateTime,
        ],
        required: ["id", "projectId", "experimentId", "name", "status", "startTime", "lifecycle"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("Run", run)
        let runs = core.runs

        api.post(
            "/v1/experiments/{id}/runs",
            OperationDoc(
                "Start a run in the experiment (editors); params and tags may come with it", tags: ["runs"],
                body: Schema.object([
                    "name": Schema.string, "startTime": Schema.dateTime,
                    "status": Schema.enumeration(RunStatus.allCases.map(\.rawValue)),
                    "parentRunId": Schema.id, "source": Schema.anyObject, "params": Schema.anyObject,
                    "tags": Schema.anyObject,
                ]),
                status: 201, response: Schema.ref("Run")
            )
        ) { request, context in
            let experiment = try await core.experiment(try context.parameters.requireID("id"), context, needs: .editor)
            let body = try await request.decodeJSON(as: RunCreation.self, context: context)
            if let parentID = try body.parentID() {
                guard let parent = try await runs.run(id: parentID), parent.projectId == experiment.projectId else {
                    throw APIError.notFound("no run \(parentID) in this project", field: "parentRunId")
                }
            }
            let created = try body.run(in: experiment, by: try context.requirePrincipal().id)
            try await runs.create(created)
            return JSONResponse(created.view(), status: .created)
        }

        api.get(
            "/v1/experiments/{id}/runs",
            OperationDoc(
                "The experiment's runs, by id (viewers); POST /v1/runs/search filters and orders them", tags: ["runs"],
                query: PageRequest.parameters() + [Lifecycle.viewParameter],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Run")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let experiment = try await core.experiment(try context.parameters.requireID("id"), context, needs: .viewer)
            let page = try PageRequest(request)
            let found = try await runs.runs(
                in: experiment.id, lifecycle: try Lifecycle.view(request), limit: page.limit, after: page.after)
            return JSONResponse(page.response(found.map { $0.view() }))
        }

        api.get(
            "/v1/runs/{id}",
            OperationDoc(
                "A run with its params, tags and latest metrics (viewers)", tags: ["runs"], response: Schema.ref("Run"))
        ) { _, context in
            JSONResponse(try await core.run(try context.parameters.requireID("id"), context, needs: .viewer).view())
        }

        api.patch(
            "/v1/runs/{id}",
            OperationDoc(
                "Rename a run or move its status on (editors); a finished, failed or killed run keeps its status",
                tags: ["runs"],
                body: Schema.object([
                    "name": Schema.string, "status": Schema.enumeration(RunStatus.allCases.map(\.rawValue)),
                    "endTime": Schema.dateTime,
                ]),
                response: Schema.ref("Run")
            )
        ) { request, context in
            let found = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let body = try await request.decodeJSON(as: RunChange.self, context: context)
            guard let change = try body.applied(to: found) else { return JSONResponse(found.view()) }
            return JSONResponse(try await runs.entities.update(found, to: change.run, verb: change.verb).view())
        }

        api.post(
            "/v1/runs/{id}/params",
            OperationDoc(
                "Log params (editors): each is written once; the same value again is accepted, another is a 409",
                tags: ["runs"],
                body: Schema.object(["params": Schema.anyObject], required: ["params"]), response: Schema.ref("Run")
            )
        ) { request, context in
            let found = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let params = try await request.decodeJSON(as: ParamsRequest.self, context: context).validated()
            try await runs.logParams(params, to: found)
            return JSONResponse((try await runs.run(id: found.id) ?? found).view())
        }

        api.patch(
            "/v1/runs/{id}/tags",
            OperationDoc(
                "Set tags, overwriting; a null value removes the tag (editors)", tags: ["runs"],
                body: Schema.object(["tags": Schema.anyObject], required: ["tags"]), response: Schema.ref("Run")
            )
        ) { request, context in
            let found = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let tags = try await request.decodeJSON(as: TagsRequest.self, context: context).validated()
            try await runs.setTags(tags, on: found)
            return JSONResponse((try await runs.run(id: found.id) ?? found).view())
        }

        api.delete(
            "/v1/runs/{id}",
            OperationDoc(
                "Move a run to the trash (editors), or with purge=true delete a trashed run with its metrics and logs (owners)",
                tags: ["runs"],
                query: [OperationDoc.purgeParameter], response: OperationDoc.freedBytes
            )
        ) { request, context in
            let id = try context.parameters.requireID("id")
            let found = try await core.run(id, context, needs: request.wantsPurge ? .owner : .editor, trashed: true)
            return JSONResponse(
                ["freedBytes": .int(try await runs.entities.remove(found, purge: request.wantsPurge))] as JSONValue)
        }

        api.post(
            "/v1/runs/{id}/restore",
            OperationDoc("Take a run out of the trash (editors)", tags: ["runs"], response: Schema.ref("Run"))
        ) { _, context in
            let found = try await core.run(
                try context.parameters.requireID("id"), context, needs: .editor, trashed: true)
            return JSONResponse(try await runs.entities.restore(found).view())
        }
    }
}
