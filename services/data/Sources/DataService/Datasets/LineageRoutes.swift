import Auth
import Foundation
import Hummingbird
import Platform

/// Which dataset versions a run read, and which runs read a version.
enum LineageRoutes {
    static let input = Schema.object(
        [
            "runId": Schema.id, "datasetId": Schema.id, "datasetVersionId": Schema.id, "projectId": Schema.id,
            "addedAt": Schema.dateTime,
        ],
        required: ["runId", "datasetId", "datasetVersionId", "addedAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("RunInput", input)
        let datasets = core.datasets

        api.put(
            "/v1/runs/{id}/inputs/{versionId}",
            OperationDoc(
                "Record that the run reads a finalized dataset version of its project (editors)",
                tags: ["runs", "datasets"], response: Schema.ref("RunInput")
            )
        ) { _, context in
            let run = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let version = try await core.datasetVersion(
                try context.parameters.requireID("versionId"), context, needs: .viewer)
            guard version.projectId == run.projectId else {
                throw APIError.notFound("no dataset version \(version.id) in the run's project", field: "versionId")
            }
            guard version.state == .final else {
                throw APIError.conflict(
                    "only a finalized version can be an input: its files may still change", code: "version_draft",
                    field: "versionId")
            }
            let (input, added) = try await datasets.addInput(version, to: run)
            return JSONResponse(try input.view(), status: added ? .created : .ok)
        }

        api.get(
            "/v1/runs/{id}/inputs",
            OperationDoc(
                "The dataset versions the run read (viewers)", tags: ["runs", "datasets"],
                response: Schema.object(["items": Schema.array(of: Schema.ref("RunInput"))], required: ["items"])
            )
        ) { _, context in
            let run = try await core.run(try context.parameters.requireID("id"), context, needs: .viewer)
            return JSONResponse(
                ["items": .array(try await datasets.inputs(of: run.id).map { try $0.view() })] as JSONValue)
        }

        api.get(
            "/v1/dataset-versions/{id}/runs",
            OperationDoc(
                "The runs that read this version, by run id (viewers)", tags: ["datasets"],
                query: PageRequest.parameters(),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("RunInput")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let version = try await core.datasetVersion(try context.parameters.requireID("id"), context, needs: .viewer)
            let page = try PageRequest(request)
            let found = try await datasets.runs(reading: version.id, limit: page.limit, after: page.after)
            var body: [String: JSONValue] = ["items": .array(try found.map { try $0.view() })]
            if found.count == page.limit, let last = found.last { body["nextAfter"] = .string(last.runId) }
            return JSONResponse(JSONValue.object(body))
        }
    }

}
