import Auth
import Blobs
import Foundation
import HTTPTypes
import Hummingbird
import Platform

/// Files of runs (`/v1/runs/{id}/files/<path>`) and of projects (`/v1/projects/{id}/files/<path>`):
/// streamed uploads (editors) of any size with an optional `X-Content-SHA256` check, downloads
/// with `Range` (viewers), listing by prefix, and deletes that report the bytes they freed.
/// Resumable uploads of big files go through `/v1/uploads` (UploadRoutes).
enum FileRoutes {
    static let sha256Header = HTTPField.Name("X-Content-SHA256")!

    static let file = Schema.object(
        [
            "id": Schema.id, "owner": Schema.string, "path": Schema.string, "size": Schema.integer,
            "sha256": Schema.string,
            "projectId": Schema.id, "experimentId": Schema.id, "runId": Schema.id, "createdBy": Schema.string,
            "createdAt": Schema.dateTime,
        ],
        required: ["id", "owner", "path", "size", "sha256", "projectId", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore, maxFileBytes: Int64) {
        api.schema("File", file)
        registerOwner(api, core, base: "/v1/runs/{id}", tag: "runs", maxFileBytes: maxFileBytes) { context, role in
            FileOwner.run(try await core.run(try context.parameters.requireID("id"), context, needs: role))
        }
        registerOwner(api, core, base: "/v1/projects/{id}", tag: "projects", maxFileBytes: maxFileBytes) {
            context, role in
            FileOwner.project(
                try await core.project(try context.parameters.requireID("id"), context, needs: role).project)
        }
    }

    static func registerOwner(
        _ api: APIBuilder<AuthRequestContext>, _ core: DataCore, base: String, tag: String, maxFileBytes: Int64,
        owner: @escaping @Sendable (AuthRequestContext, ProjectRole) async throws -> FileOwner
    ) {
        let files = core.files

        api.put(
            "\(base)/files/**",
            OperationDoc(
                "Upload the file at this path, streamed, replacing any file there (editors); `X-Content-SHA256` is checked when given",
                tags: [tag],
                bodyContentType: "application/octet-stream", status: 201, response: Schema.ref("File")
            )
        ) { request, context in
            let owner = try await owner(context, .editor)
            let path = try FilePath.normalise(segments: context.parameters.getCatchAll())
            let blob = try await core.storage.put(
                request.body, declaredSize: request.declaredSize, maxBytes: maxFileBytes,
                into: owner.containers.projectId)
            try await expectDigest(request.headers[sha256Header], of: blob, core.ledger)
            let (file, _) = try await files.record(blob, at: path, in: owner, by: try context.requirePrincipal().id)
            return JSONResponse(try file.view(), status: .created)
        }

        api.get(
            "\(base)/files/**",
            OperationDoc(
                "Download the file at this path (viewers); one `Range: bytes=…` gives a 206 with that part",
                tags: [tag],
                responseContentType: "application/octet-stream"
            )
        ) { request, context in
            let owner = try await owner(context, .viewer)
            let path = try FilePath.normalise(segments: context.parameters.getCatchAll())
            guard let file = try await files.file(owner, path: path) else {
                throw APIError.notFound("no file \(path)", field: "path")
            }
            return try await serve(file, request, core.ledger)
        }

        api.get(
            "\(base)/files",
            OperationDoc(
                "Files by path, those under `prefix` when given (viewers)", tags: [tag],
                query: [
                    .init("prefix", Schema.string, "a path prefix, e.g. checkpoints/"),
                    .init("after", Schema.string, "the last path of the previous page"),
                    .init("limit", Schema.integer, "page size, 1–1000 (default 100)"),
                ],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("File")), "nextAfter": Schema.string], required: ["items"])
            )
        ) { request, context in
            let owner = try await owner(context, .viewer)
            let query = request.uri.queryParameters
            let limit =
                try query.get("limit").map { text in
                    guard let value = Int(text), (1...1000).contains(value) else {
                        throw APIError.invalidField("limit", "limit is an integer from 1 to 1000")
                    }
                    return value
                } ?? 100
            let found = try await files.list(
                owner, prefix: query.get("prefix") ?? "", after: query.get("after"), limit: limit)
            var body: [String: JSONValue] = ["items": .array(try found.map { try $0.view() })]
            if found.count == limit, let last = found.last { body["nextAfter"] = .string(last.path) }
            return JSONResponse(JSONValue.object(body))
        }

        api.delete(
            "\(base)/files/**",
            OperationDoc(
                "Delete the file at this path (editors); answers the bytes freed (0 while another file holds the same content)",
                tags: [tag],
                response: Schema.object(["freedBytes": Schema.integer], required: ["freedBytes"])
            )
        ) { _, context in
            let owner = try await owner(context, .editor)
            let path = try FilePath.normalise(segments: context.parameters.getCatchAll())
            guard let freed = try await files.delete(owner, path: path) else {
                throw APIError.notFound("no file \(path)", field: "path")
            }
            return JSONResponse(["freedBytes": .int(freed)] as JSONValue)
        }
    }

    /// The file's bytes streamed from its blob: whole, or the one `Range` the request asks for (206).
    static func serve(_ file: FileRecord, _ request: Request, _ ledger: BlobLedger) async throws -> Response {
        let range = try ByteRange.parse(request.headers[.range], size: file.size)
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = "\"\(file.blobId)\""
        headers[.contentLength] = String(range.map { $0.count } ?? Int(file.size))
        if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(file.size)" }
        let bytes = try await ledger.blobs.get(file.blobId, range: range)
        return Response(
            status: range == nil ? .ok : .partialContent, headers: headers, body: ResponseBody(asyncSequence: bytes))
    }

    /// Refuses (and frees) an upload whose content is not what the client said it sent.
    static func expectDigest(_ declared: String?, of blob: BlobInfo, _ ledger: BlobLedger) async throws {
        guard let declared, declared.lowercased() != blob.id else { return }
        try await ledger.reclaim([blob.id])
        throw APIError.invalidField("X-Content-SHA256", "the content's SHA-256 is \(blob.id), not \(declared)")
    }
}
