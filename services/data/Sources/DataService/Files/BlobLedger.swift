import Blobs
import Foundation
import Platform
import Store

/// Which blobs are in use, and freeing those that are not (docs/design.md §4: deletes reclaim).
/// A blob is referenced by the documents that name it (`files`, `upload_parts`); it is freed
/// the moment its last reference goes, and the sweeper frees what a crash left unreferenced.
///
/// Blobs are content-addressed, so a new upload may land on a blob a delete is about to free.
/// Committing a reference and freeing a blob therefore take turns under one lock, and a
/// commit first checks the blob is still there: no document ever names a freed blob.
struct BlobLedger: Sendable {
    static let referencing = ["files", "upload_parts"]

    let store: any DocumentStore
    let blobs: any BlobStore
    private let turns = AsyncLock()

    init(store: any DocumentStore, blobs: any BlobStore) {
        self.store = store
        self.blobs = blobs
    }

    /// Writes `operations` (which reference `blob`) once the blob is confirmed present.
    func commit(_ operations: [WriteOperation], referencing blob: BlobInfo) async throws {
        try await turns.withLock {
            guard try await blobs.stat(blob.id) != nil else {
                throw APIError.conflict(
                    "the upload's content was freed while it was being recorded; send it again", code: "upload_conflict"
                )
            }
            try await store.batch(operations)
        }
    }

    /// Frees each of `ids` no document references any more; returns the bytes freed.
    @discardableResult
    func reclaim(_ ids: Set<String>) async throws -> Int64 {
        guard !ids.isEmpty else { return 0 }
        return try await turns.withLock {
            var freed: Int64 = 0
            for id in ids.sorted() where try await !isReferenced(id) {
                if let info = try await blobs.stat(id), try await blobs.delete(id) { freed += info.size }
            }
            return freed
        }
    }

    func isReferenced(_ id: String) async throws -> Bool {
        for collection in Self.referencing where try await store.count(collection, filter: ["blobId": .string(id)]) > 0
        {
            return true
        }
        return false
    }

    /// The blobs the documents matching `filter` in `collection` reference (before deleting them).
    func blobIDs(in collection: String, matching filter: JSONValue) async throws -> Set<String> {
        Set(try await store.find(collection, Query(filter: filter)).compactMap { $0["blobId"]?.stringValue })
    }
}
