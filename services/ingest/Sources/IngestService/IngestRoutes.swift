import Auth
import Foundation
import Hummingbird
import Platform

/// The ingest API: model packages, dataset packages, and the ingestions they became.
enum IngestRoutes {
    static let ingestionSchema = Schema.object(
        [
            "id": Schema.id, "kind": Schema.enumeration(["model", "dataset"]), "projectId": Schema.id,
            "state": Schema.enumeration(Ingestion.State.allCases.map(\.rawValue)), "digest": Schema.string,
            "size": Schema.integer,
            "submittedBy": Schema.string,
            "reasons": Schema.array(
                of: Schema.object(["field": Schema.string, "file": Schema.string, "message": Schema.string])),
            "transitions": Schema.array(of: Schema.object(["state": Schema.string, "at": Schema.dateTime])),
            "card": Schema.anyObject, "name": Schema.string, "version": Schema.string, "filesPrefix": Schema.string,
            "packagePath": Schema.string,
            "datasetId": Schema.id, "datasetVersionId": Schema.id, "createdAt": Schema.dateTime,
            "updatedAt": Schema.dateTime,
        ],
        required: ["id", "kind", "projectId", "state", "digest", "transitions", "reasons", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: IngestCore) {
        api.schema("Ingestion", ingestionSchema)
        let project = OperationDoc.QueryParameter(
            "projectId", Schema.id, "the project it goes into (editors)", required: true)

        api.post(
            "/v1/models",
            OperationDoc(
                "Ingest a model package: a tar or tar.gz with model.json (name, version, description, task, framework, license, authors, image or template, command, typed `parameters` schema, resources, inputs, outputs, metrics, public, and `files` with path, size and sha256) and exactly those files. 201 accepted (its files stored in data, `mlex.ingest.model.ingested` for the hub), 422 rejected with reasons naming the field or file, 200 when the same package was already ingested",
                tags: ["ingest"], query: [project], bodyContentType: "application/x-tar", status: 201,
                response: Schema.ref("Ingestion")
            )
        ) { request, context in
            let (projectID, actor) = try await core.editor(request, context)
            return try await core.pipeline.ingest(
                kind: .model, projectID: projectID, body: request.body, by: actor,
                store: ModelPackages.store(core.pipeline, projectID: projectID))
        }

        api.post(
            "/v1/datasets",
            OperationDoc(
                "Ingest a dataset package: every file of a tar or tar.gz becomes a file of a new, final version of the dataset `name` (created when missing). Same stages, reasons and idempotency as models; `mlex.ingest.dataset.ingested`",
                tags: ["ingest"], query: [project, .init("name", Schema.string, "the dataset", required: true)],
                bodyContentType: "application/x-tar",
                status: 201, response: Schema.ref("Ingestion")
            )
        ) { request, context in
            let (projectID, actor) = try await core.editor(request, context)
            guard let name = request.uri.queryParameters.get("name"), !name.isEmpty, name.count <= 200 else {
                throw APIError.invalidField("name", "name the dataset the files go to (1 to 200 characters)")
            }
            return try await core.pipeline.ingest(
                kind: .dataset, projectID: projectID, body: request.body, by: actor,
                store: DatasetPackages.store(core.pipeline, projectID: projectID, name: name))
        }

        api.get(
            "/v1/ingestions/{id}",
            OperationDoc(
                "An ingestion: its stage, the time of each, and the reasons of a rejection (viewers of its project)",
                tags: ["ingest"], response: Schema.ref("Ingestion"))
        ) { _, context in
            let id = try context.parameters.requireID("id")
            guard let ingestion = try await core.ingestions.ingestion(id: id) else {
                throw APIError.notFound("no ingestion \(id)")
            }
            do {
                try await core.authorizer.require(.viewer, on: ingestion.projectId, for: try context.requirePrincipal())
            } catch let error as APIError where error.status == .notFound {
                throw APIError.notFound("no ingestion \(id)")
            }
            return JSONResponse(try JSONValue(encoding: ingestion))
        }

        api.get(
            "/v1/ingestions",
            OperationDoc(
                "A project's ingestions, newest first (viewers)", tags: ["ingest"],
                query: [
                    project, .init("state", Schema.string, "only in this state"),
                    .init("kind", Schema.string, "model or dataset"),
                ] + PageRequest.parameters(),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Ingestion")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let query = request.uri.queryParameters
            guard let projectID = query.get("projectId"), ID.isValid(projectID) else {
                throw APIError.invalidField("projectId", "projectId is an id")
            }
            try await core.authorizer.require(.viewer, on: projectID, for: try context.requirePrincipal())
            let paging = try PageRequest(request)
            let found = try await core.ingestions.ingestions(
                of: projectID, state: query.get("state"), kind: query.get("kind"), page: paging)
            return JSONResponse(paging.response(try found.map { try JSONValue(encoding: $0) }))
        }
    }
}
