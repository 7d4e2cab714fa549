import Blobs
import Foundation
import Platform
import Store

/// Files of runs, projects and dataset versions (`FileRecord`). Writing a path again replaces
/// its file (as MLflow's artifact store does) and frees the old blob if nothing else holds it;
/// each change is announced as `artifact.added` / `artifact.deleted`.
struct FileDirectory: Sendable {
    let store: any DocumentStore
    let ledger: BlobLedger

    func file(_ owner: FileOwner, path: String) async throws -> FileRecord? {
        try await store.find("files", Query(filter: ["owner": .string(owner.key), "path": .string(path)], limit: 1))
            .first.map(FileRecord.init(document:))
    }

    /// Every file of `owner`.
    func files(of owner: FileOwner) async throws -> [FileRecord] {
        try await store.find("files", Query(filter: ["owner": .string(owner.key)])).map(FileRecord.init(document:))
    }

    /// Files whose path starts with `prefix`, in path order, after `after` (a path).
    func list(_ owner: FileOwner, prefix: String, after: String?, limit: Int) async throws -> [FileRecord] {
        var filter: JSONValue = ["owner": .string(owner.key)]
        var bounds: [String: JSONValue] = [:]
        if !prefix.isEmpty {
            bounds["$gte"] = .string(prefix)
            bounds["$lt"] = .string(prefix + "\u{10FFFF}")
        }
        if let after { bounds["$gt"] = .string(max(after, prefix)) }
        if !bounds.isEmpty { filter["path"] = .object(bounds) }
        return try await store.find("files", Query(filter: filter, sort: [.ascending("path")], limit: limit)).map(
            FileRecord.init(document:))
    }

    /// Records `blob` as the file at `path`; returns it and the bytes freed by what it replaced.
    func record(
        _ blob: BlobInfo, at path: String, in owner: FileOwner, by userID: String
    ) async throws -> (file: FileRecord, freedBytes: Int64) {
        let previous = try await file(owner, path: path)
        let file = FileRecord(blob, at: path, in: owner, by: userID)
        var operations: [WriteOperation] = []
        if let previous { operations.append(.delete("files", filter: ["id": .string(previous.id)])) }
        operations += [
            .insert(try file.document(), into: "files"),
            DataEvents.write("artifact.added", subject: file.id, try file.view()),
        ]
        try await ledger.commit(operations, referencing: blob)
        let freed = try await ledger.reclaim(Set([previous?.blobId].compactMap { $0 }).subtracting([blob.id]))
        return (file, freed)
    }

    /// Deletes the file at `path`; the bytes freed, or nil when there was no such file.
    func delete(_ owner: FileOwner, path: String) async throws -> Int64? {
        guard let existing = try await file(owner, path: path) else { return nil }
        try await store.batch([
            .delete("files", filter: ["id": .string(existing.id)]),
            DataEvents.write("artifact.deleted", subject: existing.id, try existing.view()),
        ])
        return try await ledger.reclaim([existing.blobId])
    }
}
