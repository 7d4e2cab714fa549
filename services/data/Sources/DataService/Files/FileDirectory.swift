import Blobs
import Foundation
import Platform
import Store

/// Files of runs and projects: a document per (owner, path) naming a content-addressed blob.
/// Writing a path again replaces its file (as MLflow's artifact store does) and frees the old
/// blob if nothing else holds it; each change is announced as `artifact.added` / `artifact.deleted`.
struct FileDirectory: Sendable {
    let store: any DocumentStore
    let ledger: BlobLedger

    func file(_ owner: FileOwner, path: String) async throws -> JSONValue? {
        try await store.find("files", Query(filter: ["owner": .string(owner.key), "path": .string(path)], limit: 1)).first
    }

    /// Files whose path starts with `prefix`, in path order, after `after` (a path).
    func list(_ owner: FileOwner, prefix: String, after: String?, limit: Int) async throws -> [JSONValue] {
        var filter: JSONValue = ["owner": .string(owner.key)]
        var bounds: [String: JSONValue] = [:]
        if !prefix.isEmpty {
            bounds["$gte"] = .string(prefix)
            bounds["$lt"] = .string(prefix + "\u{10FFFF}")
        }
        if let after { bounds["$gt"] = .string(max(after, prefix)) }
        if !bounds.isEmpty { filter["path"] = .object(bounds) }
        return try await store.find("files", Query(filter: filter, sort: [.ascending("path")], limit: limit))
    }

    /// Records `blob` as the file at `path`; returns it and the bytes freed by what it replaced.
    func record(_ blob: BlobInfo, at path: String, in owner: FileOwner, by userID: String) async throws -> (file: JSONValue, freedBytes: Int64) {
        let previous = try await file(owner, path: path)
        let file = JSONValue.object(owner.fields.merging([
            "id": .string(ID.make()), "owner": .string(owner.key), "path": .string(path), "blobId": .string(blob.id),
            "size": .int(blob.size), "sha256": .string(blob.id), "createdBy": .string(userID), "createdAt": .string(Timestamp.now),
        ]) { $1 })
        var operations: [WriteOperation] = []
        if let previous { operations.append(.delete("files", filter: ["id": previous["id"]!])) }
        operations += [.insert(file, into: "files"), DataEvents.write("artifact.added", subject: file["id"]!.stringValue!, Self.view(file))]
        try await ledger.commit(operations, referencing: blob)
        let freed = try await ledger.reclaim(Set([previous?["blobId"]?.stringValue].compactMap { $0 }).subtracting([blob.id]))
        return (file, freed)
    }

    /// Deletes the file at `path`; the bytes freed, or nil when there was no such file.
    func delete(_ owner: FileOwner, path: String) async throws -> Int64? {
        guard let existing = try await file(owner, path: path), let id = existing["id"]?.stringValue else { return nil }
        try await store.batch([.delete("files", filter: ["id": .string(id)]), DataEvents.write("artifact.deleted", subject: id, Self.view(existing))])
        return try await ledger.reclaim(Set([existing["blobId"]?.stringValue].compactMap { $0 }))
    }

    /// A file as clients and events see it.
    static func view(_ file: JSONValue) -> JSONValue {
        guard case .object(var members) = file else { return file }
        members.removeValue(forKey: "blobId")
        return .object(members)
    }
}
