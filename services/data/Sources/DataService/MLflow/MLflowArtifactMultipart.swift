import Auth
import Foundation
import HTTPTypes
import Hummingbird
import Platform

/// MLflow's multipart transfers for big artifacts, on data's resumable uploads (`Upload`).
///
/// Upload: `mpu/create` answers one credential per part, whose URL the client PUTs with plain
/// `requests.put(url, headers=credential.headers)` — without MLflow's own auth. The URL is ours
/// (`mpu/parts/<uploadId>/<n>`, under the prefix the client used, so it goes through the gateway
/// like every other call) and the headers carry the caller's own `Authorization` back to it:
/// every part is then checked like any request (the caller must still be an editor of the run),
/// nothing secret lands in URLs or access logs, and revoking the token stops the upload. Parts
/// may come in parallel and in any order; MLflow sizes them by `MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE`
/// (10 MiB by default, for files of `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE`, 500 MiB, and up),
/// which the server never learns, so any part size up to 1 GiB is taken. `mpu/complete` joins the
/// parts it lists into the run's file; `mpu/abort` frees them.
///
/// Download: `presigned/<path>` answers the artifact's own download URL with the same headers and
/// its size, and the client fetches 100 MiB ranges of it in parallel.
enum MLflowArtifactMultipart {
    static let forwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        MLflowScope.on(
            api, .post, "mpu/create/**", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: start a multipart upload of `path` (a file name) into the artifact folder (editors); answers where to PUT each of `num_parts` parts",
                tags: ["mlflow"],
                body: Schema.object(["path": Schema.string, "num_parts": Schema.integer], required: ["path"]),
                response: Schema.object([
                    "upload_id": Schema.string,
                    "credentials": Schema.array(
                        of: Schema.object([
                            "url": Schema.string, "part_number": Schema.integer, "headers": Schema.anyObject,
                        ])),
                ]))
        ) { request, context in
            let folder = try await MLflowArtifactLocation.resolve(
                segments: context.parameters.getCatchAll(), core, context, needs: .editor)
            let body = JSONValue.object(try await MLflowMessage.body(of: request, context: context).fields)
            let path = try folder.appending(try fileName(body))
            let parts = try MLflowMessage.int64(body["num_parts"], field: "num_parts") ?? 1
            guard (1...Int64(UploadCreation.maxParts)).contains(parts) else {
                throw APIError.invalidField("num_parts", "num_parts is from 1 to \(UploadCreation.maxParts)")
            }
            let upload = newUpload(at: path, in: folder.owner, by: try context.requirePrincipal().id)
            try await core.uploads.create(upload)
            let base = publicBase(request)
            var headers: [String: JSONValue] = [:]
            if let authorization = request.headers[.authorization] { headers["Authorization"] = .string(authorization) }
            let credentials = (1...parts).map { number -> JSONValue in
                [
                    "url": .string("\(base)/mpu/parts/\(upload.id)/\(number)"), "part_number": .int(number),
                    "headers": .object(headers),
                ]
            }
            return JSONResponse(["upload_id": .string(upload.id), "credentials": .array(credentials)] as JSONValue)
        }

        MLflowScope.on(
            api, .put, "mpu/parts/{upload}/{number}", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: one part of a multipart upload, at the URL `mpu/create` gave (editors); its `ETag` goes to `mpu/complete`",
                tags: ["mlflow"], bodyContentType: "application/octet-stream", response: Schema.anyObject)
        ) { request, context in
            let upload = try await writableUpload(context.parameters.get("upload") ?? "", core, context)
            guard let number = context.parameters.get("number").flatMap(Int.init),
                (1...UploadCreation.maxParts).contains(number)
            else {
                throw APIError.invalidField("number", "a part number is from 1 to \(UploadCreation.maxParts)")
            }
            let blob = try await core.storage.put(
                request.body, declaredSize: request.declaredSize, maxBytes: upload.partSize, into: upload.projectId)
            let part = try await core.uploads.savePart(number, of: upload, blob: blob)
            var headers = HTTPFields()
            headers[.eTag] = "\"\(part.blobId)\""
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: .init(string: "{}")))
        }

        MLflowScope.on(
            api, .post, "mpu/complete/**", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: join the listed parts (1…n, with the ETags their PUTs answered) into the artifact (editors)",
                tags: ["mlflow"],
                body: Schema.object(
                    ["path": Schema.string, "upload_id": Schema.string, "parts": Schema.array(of: Schema.anyObject)],
                    required: ["path", "upload_id", "parts"]),
                response: Schema.anyObject)
        ) { request, context in
            let (upload, body) = try await namedUpload(request, core, context)
            let listed = try listedParts(body["parts"])
            let received = Dictionary(
                try await core.uploads.parts(of: upload).map { (Int($0.number), $0) }, uniquingKeysWith: { $1 })
            let blobs = try listed.map { number, etag -> String in
                guard let part = received[number] else {
                    throw APIError.conflict("part \(number) has not arrived", code: "INVALID_STATE", field: "parts")
                }
                if let etag, etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) != part.blobId {
                    throw APIError.invalidField("parts", "part \(number) holds other bytes than its etag \(etag) says")
                }
                return part.blobId
            }
            let blob = try await core.ledger.blobs.put(
                ConcatenatedBlobs(blobs: core.ledger.blobs, ids: blobs), maxBytes: nil)
            _ = try await core.files.record(
                blob, at: upload.path, in: .recorded(in: upload), by: try context.requirePrincipal().id)
            try await core.uploads.discard(upload)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "mpu/abort/**", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: abandon a multipart upload and free its parts (editors)", tags: ["mlflow"],
                body: Schema.object(
                    ["path": Schema.string, "upload_id": Schema.string], required: ["path", "upload_id"]),
                response: Schema.anyObject)
        ) { request, context in
            let (upload, _) = try await namedUpload(request, core, context)
            try await core.uploads.discard(upload)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .get, "presigned/**", api: "mlflow-artifacts",
            OperationDoc(
                "MLflow: where to download an artifact in ranges (viewers): its own URL, the headers to send and its size",
                tags: ["mlflow"],
                response: Schema.object([
                    "url": Schema.string, "headers": Schema.anyObject, "file_size": Schema.integer,
                ]))
        ) { request, context in
            let location = try await MLflowArtifactLocation.resolve(
                segments: context.parameters.getCatchAll(), core, context, needs: .viewer)
            guard !location.path.isEmpty, let file = try await core.files.file(location.owner, path: location.path)
            else {
                throw APIError.notFound("no artifact \(location.path)", field: "path")
            }
            let download = request.uri.path.replacingOccurrences(
                of: "/api/2.0/mlflow-artifacts/presigned/", with: "/api/2.0/mlflow-artifacts/artifacts/")
            var headers: [String: JSONValue] = [:]
            if let authorization = request.headers[.authorization] { headers["Authorization"] = .string(authorization) }
            return JSONResponse(
                [
                    "url": .string(origin(request) + download), "headers": .object(headers),
                    "file_size": .int(file.size),
                ] as JSONValue)
        }
    }

    /// An upload whose parts may be of any size up to the largest data takes: MLflow's client
    /// never says its chunk size.
    static func newUpload(at path: String, in owner: FileOwner, by userID: String) -> Upload {
        let containers = owner.containers
        return Upload(
            id: ID.make(), owner: owner.key, path: path, partSize: UploadCreation.partSizes.upperBound, size: nil,
            sha256: nil, createdBy: userID, createdAt: Timestamp.now, projectId: containers.projectId,
            experimentId: containers.experimentId, runId: containers.runId, datasetId: nil, datasetVersionId: nil)
    }

    /// The upload `id` when the caller may write where it goes; a dataset version's uploads go
    /// through `/v1/uploads`, which knows when a version is final.
    static func writableUpload(_ id: String, _ core: DataCore, _ context: AuthRequestContext) async throws -> Upload {
        guard ID.isValid(id), let upload = try await core.uploads.upload(id: id), upload.datasetVersionId == nil else {
            throw APIError.notFound("no upload \(id)", field: "upload_id")
        }
        if let run = upload.runId {
            _ = try await core.run(run, context, needs: .editor)
        } else {
            _ = try await core.project(upload.projectId, context, needs: .editor)
        }
        return upload
    }

    /// The upload named by the body's `upload_id`, which must be of the file the path and
    /// `path` name; and the body.
    private static func namedUpload(
        _ request: Request, _ core: DataCore, _ context: AuthRequestContext
    ) async throws -> (Upload, JSONValue) {
        let folder = try await MLflowArtifactLocation.resolve(
            segments: context.parameters.getCatchAll(), core, context, needs: .editor)
        let body = JSONValue.object(try await MLflowMessage.body(of: request, context: context).fields)
        let path = try folder.appending(try fileName(body))
        guard let id = body["upload_id"]?.stringValue else {
            throw APIError.invalidField("upload_id", "upload_id is required")
        }
        let upload = try await writableUpload(id, core, context)
        guard upload.owner == folder.owner.key, upload.path == path else {
            throw APIError.notFound("no upload \(id) of \(path)", field: "upload_id")
        }
        return (upload, body)
    }

    /// The file name of the body's `path`: older clients sent the whole local path.
    private static func fileName(_ body: JSONValue) throws -> String {
        guard let path = body["path"]?.stringValue else { throw APIError.invalidField("path", "path is required") }
        let name = path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        guard !name.isEmpty, name != ".", name != ".." else {
            throw APIError.invalidField("path", "path names no file")
        }
        return name
    }

    /// `parts` as (number, etag), which must be 1…n in order.
    private static func listedParts(_ value: JSONValue?) throws -> [(Int, String?)] {
        guard let items = value?.arrayValue, !items.isEmpty else {
            throw APIError.invalidField("parts", "parts lists the uploaded parts")
        }
        let parts = try items.map { item -> (Int, String?) in
            guard let number = try MLflowMessage.int64(item["part_number"], field: "parts.part_number") else {
                throw APIError.invalidField("parts.part_number", "every part has its part_number")
            }
            return (Int(number), item["etag"]?.stringValue)
        }.sorted { $0.0 < $1.0 }
        guard parts.map(\.0) == Array(1...parts.count) else {
            throw APIError.invalidField("parts", "parts are numbered 1…\(parts.count) without gaps")
        }
        return parts
    }

    /// The scheme and host the client called: the gateway's when it forwarded the request.
    static func origin(_ request: Request) -> String {
        let first = { (name: HTTPField.Name) in
            request.headers[name]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let host = first(forwardedHost) ?? request.head.authority ?? "127.0.0.1"
        return "\(first(forwardedProto) ?? "http")://\(host)"
    }

    /// `origin` with the prefix the client used (`/mlflow/<project>` or none) and MLflow's
    /// artifact service root.
    static func publicBase(_ request: Request) -> String {
        let path = request.uri.path
        let prefix = path.range(of: "/api/2.0/mlflow-artifacts/").map { String(path[..<$0.lowerBound]) } ?? ""
        return origin(request) + prefix + "/api/2.0/mlflow-artifacts"
    }
}
