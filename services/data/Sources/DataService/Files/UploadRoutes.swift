import Auth
import Blobs
import Foundation
import Hummingbird
import Platform
import Store

/// Resumable uploads for big files (S3's multipart shape): create an upload naming the run or
/// project, the path and a `partSize` (64 MiB by default); send numbered parts of that size
/// (each is stored once it arrives whole; a part cut off midway leaves nothing); after a cut,
/// ask which parts arrived and send the rest; then complete: the parts become one file,
/// checked against `sha256` when the upload declared one.
enum UploadRoutes {
    struct Creation: Decodable {
        let runId: String?
        let projectId: String?
        let datasetVersionId: String?
        let path: String
        let size: Int64?
        let sha256: String?
        let partSize: Int64?
    }

    /// S3's bounds, roughly: parts big enough to be few, small enough to resend cheaply.
    static let defaultPartSize: Int64 = 64 << 20
    static let partSizes: ClosedRange<Int64> = (1 << 20)...(1 << 30)
    static let maxParts = 10_000

    static let upload = Schema.object(
        [
            "id": Schema.id, "owner": Schema.string, "path": Schema.string, "partSize": Schema.integer, "size": Schema.integer,
            "sha256": Schema.string, "createdAt": Schema.dateTime, "receivedBytes": Schema.integer,
            "parts": Schema.array(of: Schema.object(["number": Schema.integer, "size": Schema.integer, "sha256": Schema.string], required: ["number", "size", "sha256"])),
        ],
        required: ["id", "owner", "path", "partSize", "parts"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("Upload", upload)
        let store = core.store

        api.post("/v1/uploads", OperationDoc(
            "Start a resumable upload of one file to a run (`runId`), a project (`projectId`) or a draft dataset version (`datasetVersionId`) (editors)", tags: ["files"],
            body: Schema.object(["runId": Schema.id, "projectId": Schema.id, "datasetVersionId": Schema.id, "path": Schema.string, "size": Schema.integer, "sha256": Schema.string, "partSize": Schema.integer], required: ["path"]),
            status: 201, response: Schema.ref("Upload")
        )) { request, context in
            let body = try await request.decodeJSON(as: Creation.self, context: context)
            let owner: FileOwner
            switch (try Validate.id(body.runId, field: "runId"), try Validate.id(body.projectId, field: "projectId"), try Validate.id(body.datasetVersionId, field: "datasetVersionId")) {
            case (let run?, nil, nil): owner = .run(try await core.run(run, context, needs: .editor))
            case (nil, let project?, nil): owner = .project(try await core.project(project, context, needs: .editor).project)
            case (nil, nil, let version?): owner = .datasetVersion(try await draftVersion(version, context, core))
            default: throw APIError.invalidField("runId", "give one of runId, projectId or datasetVersionId")
            }
            let partSize = body.partSize ?? defaultPartSize
            guard partSizes.contains(partSize) else { throw APIError.invalidField("partSize", "partSize is from \(partSizes.lowerBound) to \(partSizes.upperBound) bytes") }
            if let size = body.size, size < 0 || size > partSize * Int64(maxParts) {
                throw APIError.invalidField("size", "size is from 0 to \(partSize * Int64(maxParts)) bytes with parts of \(partSize)")
            }
            if let sha = body.sha256, sha.count != 64 || !sha.allSatisfy(\.isHexDigit) { throw APIError.invalidField("sha256", "sha256 is 64 hex digits") }
            var document = owner.fields
            document.merge([
                "id": .string(ID.make()), "owner": .string(owner.key), "path": .string(try FilePath.normalise(body.path)),
                "partSize": .int(partSize), "createdBy": .string(try context.requirePrincipal().id), "createdAt": .string(Timestamp.now),
            ]) { $1 }
            if let size = body.size { document["size"] = .int(size) }
            if let sha = body.sha256 { document["sha256"] = .string(sha.lowercased()) }
            try await store.insert(.object(document), into: "uploads")
            return JSONResponse(view(.object(document), parts: []), status: .created)
        }

        api.get("/v1/uploads/{id}", OperationDoc(
            "An upload and the parts it has received: after a cut, send the ones missing (editors)", tags: ["files"], response: Schema.ref("Upload")
        )) { _, context in
            let upload = try await ownUpload(context, core)
            return JSONResponse(view(upload, parts: try await parts(of: upload, store)))
        }

        api.put("/v1/uploads/{id}/parts/{number}", OperationDoc(
            "Send part `number` (1–10000) of `partSize` bytes, the last one shorter; sending a part again replaces it (editors)", tags: ["files"],
            bodyContentType: "application/octet-stream",
            response: Schema.object(["number": Schema.integer, "size": Schema.integer, "sha256": Schema.string], required: ["number", "size", "sha256"])
        )) { request, context in
            let upload = try await ownUpload(context, core)
            guard let number = context.parameters.get("number").flatMap(Int.init), (1...maxParts).contains(number) else {
                throw APIError.invalidField("number", "a part number is from 1 to \(maxParts)")
            }
            let blob = try await core.ledger.blobs.put(request.body, maxBytes: upload["partSize"]?.intValue ?? defaultPartSize)
            try await FileRoutes.expectDigest(request.headers[FileRoutes.sha256Header], of: blob, core.ledger)
            let uploadID = upload["id"]!.stringValue!
            let partID = "\(uploadID):\(String(number).leftPadded(to: 5))"
            let previous = try await store.get(partID, from: "upload_parts")
            var part = FileOwner.recorded(in: upload).fields
            part.merge(["id": .string(partID), "uploadId": .string(uploadID), "number": .int(Int64(number)), "blobId": .string(blob.id), "size": .int(blob.size)]) { $1 }
            var operations: [WriteOperation] = previous == nil ? [] : [.delete("upload_parts", filter: ["id": .string(partID)])]
            operations.append(.insert(.object(part), into: "upload_parts"))
            try await core.ledger.commit(operations, referencing: blob)
            if let old = previous?["blobId"]?.stringValue, old != blob.id { try await core.ledger.reclaim([old]) }
            return JSONResponse(["number": .int(Int64(number)), "size": .int(blob.size), "sha256": .string(blob.id)] as JSONValue)
        }

        api.post("/v1/uploads/{id}/complete", OperationDoc(
            "Join the parts into the file (editors): parts 1…n with no gap, all but the last of `partSize` bytes", tags: ["files"],
            status: 201, response: Schema.ref("File")
        )) { _, context in
            let upload = try await ownUpload(context, core)
            let received = try await parts(of: upload, store)
            try checkComplete(upload, received)
            let owner = FileOwner.recorded(in: upload)
            let partBlobs = received.compactMap { $0["blobId"]?.stringValue }
            let blob = try await core.ledger.blobs.put(ConcatenatedBlobs(blobs: core.ledger.blobs, ids: partBlobs), maxBytes: nil)
            if let declared = upload["sha256"]?.stringValue, declared != blob.id {
                try await core.ledger.reclaim([blob.id])
                throw APIError.conflict("the parts' SHA-256 is \(blob.id), not the \(declared) the upload declared; resend the parts that differ", code: "digest_mismatch", field: "sha256")
            }
            let (file, _) = try await core.files.record(blob, at: upload["path"]!.stringValue!, in: owner, by: try context.requirePrincipal().id)
            try await discard(upload, core)
            return JSONResponse(FileDirectory.view(file), status: .created)
        }

        api.delete("/v1/uploads/{id}", OperationDoc(
            "Abandon an upload and free its parts (editors)", tags: ["files"],
            response: Schema.object(["freedBytes": Schema.integer], required: ["freedBytes"])
        )) { _, context in
            let upload = try await ownUpload(context, core)
            return JSONResponse(["freedBytes": .int(try await discard(upload, core))] as JSONValue)
        }
    }

    /// The upload of the path, when the caller may still write where it goes.
    private static func ownUpload(_ context: AuthRequestContext, _ core: DataCore) async throws -> JSONValue {
        let id = try context.parameters.requireID("id")
        guard let upload = try await core.store.get(id, from: "uploads") else { throw APIError.notFound("no upload \(id)") }
        if let version = upload["datasetVersionId"]?.stringValue {
            _ = try await draftVersion(version, context, core)
        } else if let run = upload["runId"]?.stringValue {
            _ = try await core.run(run, context, needs: .editor)
        } else if let project = upload["projectId"]?.stringValue {
            _ = try await core.project(project, context, needs: .editor)
        }
        return upload
    }

    /// A dataset version that still takes files.
    private static func draftVersion(_ id: String, _ context: AuthRequestContext, _ core: DataCore) async throws -> JSONValue {
        let version = try await core.datasetVersion(id, context, needs: .editor)
        guard version["state"] == .string(DatasetDirectory.State.draft.rawValue) else {
            throw APIError.conflict("the version is final; start a new version to change its files", code: "version_final", field: "datasetVersionId")
        }
        return version
    }

    private static func parts(of upload: JSONValue, _ store: any DocumentStore) async throws -> [JSONValue] {
        try await store.find("upload_parts", Query(filter: ["uploadId": upload["id"]!], sort: [.ascending("number")]))
    }

    private static func checkComplete(_ upload: JSONValue, _ parts: [JSONValue]) throws {
        let size = upload["partSize"]?.intValue ?? defaultPartSize
        for (index, part) in parts.enumerated() {
            guard part["number"]?.intValue == Int64(index + 1) else {
                throw APIError.conflict("part \(index + 1) is missing", code: "parts_missing", field: "parts")
            }
            if index < parts.count - 1, part["size"]?.intValue != size {
                throw APIError.conflict("part \(index + 1) has \(part["size"]?.intValue ?? 0) bytes; every part but the last has \(size)", code: "part_size", field: "parts")
            }
        }
        let total = parts.reduce(Int64(0)) { $0 + ($1["size"]?.intValue ?? 0) }
        if let expected = upload["size"]?.intValue, expected != total {
            throw APIError.conflict("the parts hold \(total) bytes; the upload declared \(expected)", code: "size_mismatch", field: "size")
        }
    }

    /// Deletes the upload and its parts; returns the bytes freed.
    @discardableResult
    static func discard(_ upload: JSONValue, _ core: DataCore) async throws -> Int64 {
        let filter: JSONValue = ["uploadId": upload["id"]!]
        let blobs = try await core.ledger.blobIDs(in: "upload_parts", matching: filter)
        try await core.store.batch([.delete("upload_parts", filter: filter), .delete("uploads", filter: ["id": upload["id"]!])])
        return try await core.ledger.reclaim(blobs)
    }

    private static func view(_ upload: JSONValue, parts: [JSONValue]) -> JSONValue {
        guard case .object(var members) = upload else { return upload }
        members["parts"] = .array(parts.map { ["number": $0["number"] ?? 0, "size": $0["size"] ?? 0, "sha256": $0["blobId"] ?? ""] })
        members["receivedBytes"] = .int(parts.reduce(Int64(0)) { $0 + ($1["size"]?.intValue ?? 0) })
        return .object(members)
    }
}
