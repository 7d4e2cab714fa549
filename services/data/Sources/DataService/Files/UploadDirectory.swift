import Blobs
import Foundation
import Platform
import Store

/// Resumable uploads and their parts in the data store (see `Upload`).
struct UploadDirectory: Sendable {
    let store: any DocumentStore
    let ledger: BlobLedger

    func create(_ upload: Upload) async throws {
        try await store.insert(try upload.document(), into: "uploads")
    }

    func upload(id: String) async throws -> Upload? {
        try await store.get(id, from: "uploads").map(Upload.init(document:))
    }

    /// Uploads started before `time` (RFC 3339).
    func uploads(startedBefore time: String) async throws -> [Upload] {
        try await store.find("uploads", Query(filter: ["createdAt": ["$lt": .string(time)]])).map(
            Upload.init(document:))
    }

    /// The parts received, by number.
    func parts(of upload: Upload) async throws -> [UploadPart] {
        try await store.find(
            "upload_parts", Query(filter: ["uploadId": .string(upload.id)], sort: [.ascending("number")])
        ).map(UploadPart.init(document:))
    }

    /// Records `blob` as part `number`, replacing a part sent before (whose blob is freed when
    /// nothing else holds it).
    func savePart(_ number: Int, of upload: Upload, blob: BlobInfo) async throws -> UploadPart {
        let part = UploadPart(number, of: upload, blob: blob)
        let previous = try await store.get(part.id, from: "upload_parts").map(UploadPart.init(document:))
        var operations: [WriteOperation] =
            previous == nil ? [] : [.delete("upload_parts", filter: ["id": .string(part.id)])]
        operations.append(.insert(try part.document(), into: "upload_parts"))
        try await ledger.commit(operations, referencing: blob)
        if let old = previous?.blobId, old != blob.id { try await ledger.reclaim([old]) }
        return part
    }

    /// Deletes the upload and its parts; returns the bytes freed.
    @discardableResult
    func discard(_ upload: Upload) async throws -> Int64 {
        let filter: JSONValue = ["uploadId": .string(upload.id)]
        let blobs = try await ledger.blobIDs(in: "upload_parts", matching: filter)
        try await store.batch([
            .delete("upload_parts", filter: filter), .delete("uploads", filter: ["id": .string(upload.id)]),
        ])
        return try await ledger.reclaim(blobs)
    }
}
