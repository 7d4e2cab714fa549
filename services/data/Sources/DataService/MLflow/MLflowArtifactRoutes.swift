import Auth
import Foundation
import HTTPTypes
import Hummingbird
import Platform

/// MLflow's proxied artifact service (`mlflow-artifacts`, docs/mlflow.md): what its client's
/// `log_artifact(s)`, `list_artifacts`, `download_artifacts` and `delete_artifacts` call once a
/// run's `artifact_uri` (`mlflow-artifacts:/<experimentId>/<runId>/artifacts`) is resolved
/// against the tracking URI. The artifacts are the run's own files (`MLflowArtifactLocation`),
/// streamed through the blob store as our file routes do. Big files take the multipart routes
/// (`MLflowArtifactMultipart`); logged models, which keep their files here, are registered with
/// them (`MLflowLoggedModelRoutes`).
enum MLflowArtifactRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore, maxFileBytes: Int64) {
        let files = core.files

        MLflowScope.on(
            api, .put, "artifacts/**", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: upload an artifact of a run, streamed (editors); `<experimentId>/<runId>/artifacts/<path>`",
                tags: ["mlflow"], bodyContentType: "application/octet-stream", response: Schema.anyObject)
        ) { request, context in
            let location = try await MLflowArtifactLocation.resolve(
                segments: context.parameters.getCatchAll(), core, context, needs: .editor)
            guard !location.path.isEmpty else {
                throw APIError.invalidField("path", "name the artifact's path after <runId>/artifacts/")
            }
            let blob = try await core.storage.put(
                request.body, declaredSize: request.declaredSize, maxBytes: maxFileBytes,
                into: location.owner.containers.projectId)
            _ = try await files.record(
                blob, at: location.path, in: location.owner, by: try context.requirePrincipal().id)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .get, "artifacts/**", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: download an artifact of a run (viewers); one `Range: bytes=…` gives a 206 with that part",
                tags: ["mlflow"], responseContentType: "application/octet-stream")
        ) { request, context in
            let location = try await MLflowArtifactLocation.resolve(
                segments: context.parameters.getCatchAll(), core, context, needs: .viewer)
            guard !location.path.isEmpty, let file = try await files.file(location.owner, path: location.path) else {
                throw APIError.notFound("no artifact \(location.path)", field: "path")
            }
            return try await FileRoutes.serve(file, request, core.ledger)
        }

        MLflowScope.on(
            api, .get, "artifacts", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: the files and folders directly inside an artifact folder (viewers)", tags: ["mlflow"],
                query: [
                    .init("path", Schema.string, "`<experimentId>/<runId>/artifacts[/<folder>]`", required: true)
                ],
                response: Schema.object([
                    "files": Schema.array(
                        of: Schema.object([
                            "path": Schema.string, "is_dir": Schema.boolean, "file_size": Schema.integer,
                        ]))
                ]))
        ) { request, context in
            guard let path = request.uri.queryParameters.get("path"), !path.isEmpty else {
                throw APIError.invalidField("path", "give path=<experimentId>/<runId>/artifacts[/<folder>]")
            }
            let location = try await MLflowArtifactLocation.resolve(path, core, context, needs: .viewer)
            let entries = try await MLflowArtifactListing.entries(of: location, files)
            guard !entries.isEmpty else { return JSONResponse([:] as JSONValue) }
            return JSONResponse(["files": .array(entries.map(\.json))] as JSONValue)
        }

        MLflowScope.on(
            api, .delete, "artifacts/**", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: delete an artifact, or a folder with everything in it (editors)", tags: ["mlflow"],
                response: Schema.anyObject)
        ) { _, context in
            let location = try await MLflowArtifactLocation.resolve(
                segments: context.parameters.getCatchAll(), core, context, needs: .editor)
            try await MLflowArtifactListing.delete(location, files)
            return JSONResponse([:] as JSONValue)
        }

        MLflowArtifactMultipart.register(api, core)
        MLflowArtifactCapabilities.register(api)
        MLflowLoggedModelRoutes.register(api, core)
    }
}
