import Auth
import Blobs
import Foundation
import Hummingbird
import Platform

/// Resumable uploads for big files (S3's multipart shape): create an upload naming the run or
/// project, the path and a `partSize` (64 MiB by default); send numbered parts of that size
/// (each is stored once it arrives whole; a part cut off midway leaves nothing); after a cut,
/// ask which parts arrived and send the rest; then complete: the parts become one file,
/// checked against `sha256` when the upload declared one.
enum UploadRoutes {
    static let upload = Schema.object(
        [
            "id": Schema.id, "owner": Schema.string, "path": Schema.string, "partSize": Schema.integer,
            "size": Schema.integer,
            "sha256": Schema.string, "createdAt": Schema.dateTime, "receivedBytes": Schema.integer,
            "parts": Schema.array(
                of: Schema.object(
                    ["number": Schema.integer, "size": Schema.integer, "sha256": Schema.string],
                    required: ["number", "size", "sha256"])),
        ],
        required: ["id", "owner", "path", "partSize", "parts"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("Upload", upload)
        let uploads = core.uploads

        api.post(
            "/v1/uploads",
            OperationDoc(
                "Start a resumable upload of one file to a run (`runId`), a project (`projectId`) or a draft dataset version (`datasetVersionId`) (editors)",
                tags: ["files"],
                body: Schema.object(
                    [
                        "runId": Schema.id, "projectId": Schema.id, "datasetVersionId": Schema.id,
                        "path": Schema.string, "size": Schema.integer, "sha256": Schema.string,
                        "partSize": Schema.integer,
                    ], required: ["path"]),
                status: 201, response: Schema.ref("Upload")
            )
        ) { request, context in
            let body = try await request.decodeJSON(as: UploadCreation.self, context: context)
            let owner: FileOwner =
                switch try body.target() {
                case .run(let run): .run(try await core.run(run, context, needs: .editor))
                case .project(let project): .project(try await core.project(project, context, needs: .editor).project)
                case .datasetVersion(let version): .datasetVersion(try await draftVersion(version, context, core))
                }
            let created = try body.upload(to: owner, by: try context.requirePrincipal().id)
            // A declared size over the quota is refused before any part is sent.
            if let size = body.size { try await core.storage.admit(declaredSize: size, into: created.projectId) }
            try await uploads.create(created)
            return JSONResponse(try created.view(parts: []), status: .created)
        }

        api.get(
            "/v1/uploads/{id}",
            OperationDoc(
                "An upload and the parts it has received: after a cut, send the ones missing (editors)",
                tags: ["files"], response: Schema.ref("Upload")
            )
        ) { _, context in
            let upload = try await ownUpload(context, core)
            return JSONResponse(try upload.view(parts: try await uploads.parts(of: upload)))
        }

        api.put(
            "/v1/uploads/{id}/parts/{number}",
            OperationDoc(
                "Send part `number` (1–10000) of `partSize` bytes, the last one shorter; sending a part again replaces it (editors)",
                tags: ["files"],
                bodyContentType: "application/octet-stream",
                response: Schema.object(
                    ["number": Schema.integer, "size": Schema.integer, "sha256": Schema.string],
                    required: ["number", "size", "sha256"])
            )
        ) { request, context in
            let upload = try await ownUpload(context, core)
            guard let number = context.parameters.get("number").flatMap(Int.init),
                (1...UploadCreation.maxParts).contains(number)
            else {
                throw APIError.invalidField("number", "a part number is from 1 to \(UploadCreation.maxParts)")
            }
            let blob = try await core.storage.put(
                request.body, declaredSize: request.declaredSize, maxBytes: upload.partSize, into: upload.projectId)
            try await FileRoutes.expectDigest(request.headers[FileRoutes.sha256Header], of: blob, core.ledger)
            let part = try await uploads.savePart(number, of: upload, blob: blob)
            return JSONResponse(
                ["number": .int(part.number), "size": .int(part.size), "sha256": .string(part.blobId)] as JSONValue)
        }

        api.post(
            "/v1/uploads/{id}/complete",
            OperationDoc(
                "Join the parts into the file (editors): parts 1…n with no gap, all but the last of `partSize` bytes",
                tags: ["files"],
                status: 201, response: Schema.ref("File")
            )
        ) { _, context in
            let upload = try await ownUpload(context, core)
            let received = try await uploads.parts(of: upload)
            try upload.checkComplete(received)
            let blob = try await core.ledger.blobs.put(
                ConcatenatedBlobs(blobs: core.ledger.blobs, ids: received.map(\.blobId)), maxBytes: nil)
            if let declared = upload.sha256, declared != blob.id {
                try await core.ledger.reclaim([blob.id])
                throw APIError.conflict(
                    "the parts' SHA-256 is \(blob.id), not the \(declared) the upload declared; resend the parts that differ",
                    code: "digest_mismatch", field: "sha256")
            }
            let (file, _) = try await core.files.record(
                blob, at: upload.path, in: .recorded(in: upload), by: try context.requirePrincipal().id)
            try await uploads.discard(upload)
            return JSONResponse(try file.view(), status: .created)
        }

        api.delete(
            "/v1/uploads/{id}",
            OperationDoc(
                "Abandon an upload and free its parts (editors)", tags: ["files"],
                response: Schema.object(["freedBytes": Schema.integer], required: ["freedBytes"])
            )
        ) { _, context in
            let upload = try await ownUpload(context, core)
            return JSONResponse(["freedBytes": .int(try await uploads.discard(upload))] as JSONValue)
        }
    }

    /// The upload of the path, when the caller may still write where it goes.
    private static func ownUpload(_ context: AuthRequestContext, _ core: DataCore) async throws -> Upload {
        let id = try context.parameters.requireID("id")
        guard let upload = try await core.uploads.upload(id: id) else { throw APIError.notFound("no upload \(id)") }
        if let version = upload.datasetVersionId {
            _ = try await draftVersion(version, context, core)
        } else if let run = upload.runId {
            _ = try await core.run(run, context, needs: .editor)
        } else {
            _ = try await core.project(upload.projectId, context, needs: .editor)
        }
        return upload
    }

    /// A dataset version that still takes files.
    private static func draftVersion(
        _ id: String, _ context: AuthRequestContext, _ core: DataCore
    ) async throws -> DatasetVersion {
        let version = try await core.datasetVersion(id, context, needs: .editor)
        guard version.state == .draft else {
            throw APIError.conflict(
                "the version is final; start a new version to change its files", code: "version_final",
                field: "datasetVersionId")
        }
        return version
    }
}
