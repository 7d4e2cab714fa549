import Blobs
import Foundation
import Hummingbird
import Platform
import Store

/// Per-project storage quotas (`storage_quotas`: `defaults` for every project, `project:<id>`
/// for one), and the admission of every upload against them. A project's use is the size of
/// every file it holds — project files, runs' artifacts and outputs (MLflow's too), dataset
/// versions' files, in the trash or not — plus the parts of its unfinished resumable uploads.
/// Files are counted by their size even when blobs are shared (content addressing is the
/// platform's saving, not the project's).
struct StorageQuotas: Sendable {
    static let collection = "storage_quotas"
    static let defaultsID = "defaults"
    static let field = "quota.storageBytes"

    let store: any DocumentStore
    let blobs: any BlobStore

    /// The limit stored under `id` (nil: none stored, or no limit).
    func stored(_ id: String) async throws -> Int64? {
        try await store.get(id, from: Self.collection)?["storageBytes"]?.intValue
    }

    /// The project's own limit, else the default; nil: no limit.
    func limit(of project: String) async throws -> Int64? {
        if let own = try await stored("project:\(project)") { return own }
        return try await stored(Self.defaultsID)
    }

    /// Sets (or with nil clears) the limit stored under `id`.
    func set(_ id: String, storageBytes: Int64?, by userID: String) async throws {
        var document: JSONValue = [
            "id": .string(id), "updatedAt": .string(Timestamp.now), "updatedBy": .string(userID),
        ]
        if let storageBytes { document["storageBytes"] = .int(storageBytes) }
        try await store.batch([
            .delete(Self.collection, filter: ["id": .string(id)]), .insert(document, into: Self.collection),
        ])
    }

    /// Bytes the project holds now: its files and its unfinished uploads' parts.
    func used(by project: String) async throws -> Int64 {
        var total: Int64 = 0
        for collection in ["files", "upload_parts"] {
            for document in try await store.find(collection, Query(filter: ["projectId": .string(project)])) {
                total += document["size"]?.intValue ?? 0
            }
        }
        return total
    }

    /// Refuses up front what `declaredSize` says would take the project past its quota.
    func admit(declaredSize: Int64, into project: String) async throws {
        guard let limit = try await limit(of: project) else { return }
        let used = try await used(by: project)
        if declaredSize > limit - used { throw Self.exceeded(project, limit: limit, used: used, adding: declaredSize) }
    }

    /// Stores `bytes` as a blob unless they would take `project` past its storage quota: a
    /// body whose `Content-Length` (`declaredSize`) is too big is refused before a byte is
    /// read, and one without a length is cut off at the limit with nothing stored (the blob
    /// store removes what it had written). 413 naming `quota.storageBytes`.
    func put<Bytes: AsyncSequence & Sendable>(
        _ bytes: Bytes, declaredSize: Int64?, maxBytes: Int64?, into project: String
    ) async throws -> BlobInfo where Bytes.Element == ByteBuffer {
        guard let limit = try await limit(of: project) else { return try await blobs.put(bytes, maxBytes: maxBytes) }
        let used = try await used(by: project)
        let room = max(0, limit - used)
        if let declaredSize, declaredSize > room {
            throw Self.exceeded(project, limit: limit, used: used, adding: declaredSize)
        }
        do {
            return try await blobs.put(bytes, maxBytes: min(maxBytes ?? .max, room))
        } catch let error as BlobError where error.code == .tooLarge && room < (maxBytes ?? .max) {
            throw Self.exceeded(project, limit: limit, used: used, adding: nil)
        }
    }

    static func exceeded(_ project: String, limit: Int64, used: Int64, adding: Int64?) -> APIError {
        let what = adding.map { "\($0) more bytes" } ?? "this upload"
        return APIError(
            .contentTooLarge, code: "quota_exceeded",
            message:
                "project \(project)'s storage quota is \(limit) bytes and it uses \(used): \(what) would exceed it; delete files (and purge the trash) or ask an administrator to raise quota.storageBytes",
            field: field)
    }
}

extension Request {
    /// The body's `Content-Length`, when the client sent one.
    var declaredSize: Int64? { headers[.contentLength].flatMap { Int64($0) } }
}
