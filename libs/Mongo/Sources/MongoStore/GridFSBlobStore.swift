import Blobs
import Crypto
import Foundation
import Mongo
import NIOCore
import Platform

/// `BlobStore` on MongoDB GridFS (`mongoc_gridfs_bucket`). An upload streams into a GridFS
/// file under a fresh id while it is hashed; only when every chunk is written does a small
/// index document `{_id: <sha256>, fileId, size, createdAt}` make the blob visible, so a
/// failed, cancelled or oversized upload is aborted (its chunks deleted) and never seen. The
/// same content uploaded twice keeps the first file. Ranged reads fetch just the chunks they
/// cover, a few at a time as the reader pulls, so memory stays flat for any size.
public final class GridFSBlobStore: BlobStore {
    let client: MongoClient
    let bucket = "blobs"
    let index = "blob_index"
    /// Chunks fetched per query while reading (8 × 255 KiB ≈ 2 MB in flight at most).
    let chunksPerRead = 8

    public init(url: String) throws {
        client = try MongoClient(url: url)
    }

    public func put<Bytes: AsyncSequence & Sendable>(_ bytes: Bytes, maxBytes: Int64?) async throws -> BlobInfo
    where Bytes.Element == ByteBuffer {
        let fileID = ID.make()
        let upload = try await storeCall { try await self.client.openUpload(bucket: self.bucket, fileID: fileID) }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            for try await chunk in bytes {
                size += Int64(chunk.readableBytes)
                if let maxBytes, size > maxBytes {
                    throw BlobError(.tooLarge, "the upload exceeds the limit of \(maxBytes) bytes")
                }
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try await storeCall { try await self.client.write(chunk, to: upload) }
                try Task.checkCancellation()
            }
            try await storeCall { try await self.client.finish(upload) }
        } catch {
            await client.abort(upload)
            throw error
        }
        let id = FileDigest.hex(hasher.finalize())
        let info = BlobInfo(id: id, size: size, createdAt: Date())
        do {
            try await client.insert(
                [
                    "_id": .string(id), "fileId": .string(fileID), "size": .int(size),
                    "createdAt": .string(Timestamp.format(info.createdAt)),
                ], into: index)
        } catch let error as MongoError where error.isDuplicateKey {
            // Same content already stored: keep it, drop our copy.
            try? await client.deleteFile(bucket: bucket, fileID: fileID)
            guard let existing = try await stat(id) else { throw BlobError.notFound(id) }
            return existing
        } catch let error as MongoError {
            try? await client.deleteFile(bucket: bucket, fileID: fileID)
            throw BlobError(.io, error.description)
        }
        return BlobInfo(
            id: id, size: size, createdAt: Timestamp.parse(Timestamp.format(info.createdAt)) ?? info.createdAt)
    }

    public func get(_ id: String, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        guard BlobID.isValid(id) else { throw BlobError.invalidID(id) }
        guard let entry = try await entry(id), let fileID = entry["fileId"]?.stringValue,
            let size = entry["size"]?.intValue
        else {
            throw BlobError.notFound(id)
        }
        let wanted = range ?? 0..<size
        guard wanted.lowerBound >= 0, wanted.upperBound <= size else {
            throw BlobError(
                .invalidRange, "range \(wanted.lowerBound)..<\(wanted.upperBound) is outside the blob's \(size) bytes")
        }
        let reader = ChunkReader(store: self, fileID: fileID, range: wanted)
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    public func stat(_ id: String) async throws -> BlobInfo? {
        guard BlobID.isValid(id) else { throw BlobError.invalidID(id) }
        return try await entry(id).flatMap(Self.info)
    }

    public func delete(_ id: String) async throws -> Bool {
        guard BlobID.isValid(id) else { throw BlobError.invalidID(id) }
        guard let entry = try await entry(id), let fileID = entry["fileId"]?.stringValue else { return false }
        // Invisible first, then reclaimed: a crash between leaves an orphan file, never a
        // listed blob without bytes.
        let removed = try await storeCall { try await self.client.delete(self.index, filter: ["_id": .string(id)]) }
        guard removed > 0 else { return false }
        try await storeCall { try await self.client.deleteFile(bucket: self.bucket, fileID: fileID) }
        return true
    }

    public func list(prefix: String, after: String?, limit: Int) async throws -> [BlobInfo] {
        guard BlobID.isHexPrefix(prefix) else {
            throw BlobError(.invalidID, "a prefix is lowercase hex, not \"\(prefix.prefix(80))\"")
        }
        if let after, !BlobID.isHexPrefix(after) { throw BlobError.invalidID(after) }
        guard limit > 0 else { return [] }
        // Hex sorts below "g": [prefix, prefix + "g") holds exactly the ids starting with it.
        var bounds: [String: JSONValue] = ["$gte": .string(prefix), "$lt": .string(prefix + "g")]
        if let after, after >= prefix { bounds = ["$gt": .string(after), "$lt": .string(prefix + "g")] }
        let found = try await storeCall {
            try await self.client.find(
                self.index, filter: ["_id": .object(bounds)], sort: [("_id", false)], limit: limit)
        }
        return found.compactMap(Self.info)
    }

    /// GridFS files that no index document names: chunks written by an upload that never
    /// finished (no files document yet) or a finished file whose index document never came.
    /// A file's age is its UUIDv7 id's time, so no BSON date needs reading.
    public func removeAbandonedUploads(olderThan cutoff: Date) async throws -> Int {
        try await storeCall {
            let chunked =
                try await client.command(["distinct": .string("\(bucket).chunks"), "key": "files_id"])["values"]?
                .arrayValue ?? []
            let filed = try await client.find("\(bucket).files", filter: [:]).compactMap { $0["_id"] }
            let candidates = Set((chunked + filed).compactMap(\.stringValue)).filter {
                ID.time(of: $0).map { $0 < cutoff } ?? false
            }
            guard !candidates.isEmpty else { return 0 }
            let indexed = Set(
                try await client.find(
                    index, filter: ["fileId": ["$in": .array(candidates.sorted().map(JSONValue.string))]]
                ).compactMap { $0["fileId"]?.stringValue })
            var removed = 0
            for fileID in candidates.subtracting(indexed).sorted() {
                _ = try await client.delete("\(bucket).chunks", filter: ["files_id": .string(fileID)])
                _ = try await client.delete("\(bucket).files", filter: ["_id": .string(fileID)])
                removed += 1
            }
            return removed
        }
    }

    public func checkReachable() async throws {
        try await storeCall { _ = try await self.client.command(["ping": 1]) }
    }

    // MARK: -

    fileprivate func chunks(_ fileID: String, _ numbers: Range<Int>) async throws -> [ByteBuffer] {
        try await storeCall { try await self.client.chunks(bucket: self.bucket, fileID: fileID, numbers) }
    }

    private func entry(_ id: String) async throws -> JSONValue? {
        try await storeCall { try await self.client.find(self.index, filter: ["_id": .string(id)], limit: 1).first }
    }

    private static func info(_ entry: JSONValue) -> BlobInfo? {
        guard let id = entry["_id"]?.stringValue, let size = entry["size"]?.intValue else { return nil }
        return BlobInfo(
            id: id, size: size,
            createdAt: entry["createdAt"]?.stringValue.flatMap(Timestamp.parse) ?? Date(timeIntervalSince1970: 0))
    }

    /// Runs a client call; its errors become `BlobError.io` (callers never see MongoDB's).
    @discardableResult
    private func storeCall<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MongoError {
            throw BlobError(.io, error.description)
        }
    }
}

/// Pulls a byte range of a GridFS file a few chunks at a time, trimming the first and last.
private final class ChunkReader: @unchecked Sendable {
    // @unchecked: AsyncThrowingStream(unfolding:) calls `next` one call at a time.
    let store: GridFSBlobStore
    let fileID: String
    let range: Range<Int64>
    var position: Int64
    var pending: [ByteBuffer] = []

    init(store: GridFSBlobStore, fileID: String, range: Range<Int64>) {
        self.store = store
        self.fileID = fileID
        self.range = range
        self.position = range.lowerBound
    }

    func next() async throws -> ByteBuffer? {
        if pending.isEmpty {
            guard position < range.upperBound else { return nil }
            let chunkSize = Int64(MongoClient.gridFSChunkSize)
            let first = Int(position / chunkSize)
            let last = Int((range.upperBound - 1) / chunkSize)
            let fetched = try await store.chunks(fileID, first..<min(last + 1, first + store.chunksPerRead))
            guard !fetched.isEmpty else { throw BlobError(.io, "file \(fileID) lacks chunk \(first)") }
            var offset = Int64(first) * chunkSize
            for var chunk in fetched {
                let start = max(position, offset)
                let end = min(range.upperBound, offset + Int64(chunk.readableBytes))
                if start < end,
                    let slice = chunk.getSlice(at: chunk.readerIndex + Int(start - offset), length: Int(end - start))
                {
                    pending.append(slice)
                }
                offset += Int64(chunk.readableBytes)
                chunk.clear()
            }
            position = offset
        }
        return pending.isEmpty ? nil : pending.removeFirst()
    }
}
