import Foundation
import NIOCore

/// What the store knows of one blob. Blobs are content-addressed: `id` is the lowercase hex
/// SHA-256 of the bytes, so the same content is stored once and its id proves its integrity.
public struct BlobInfo: Sendable, Hashable, Codable {
    public let id: String
    public let size: Int64
    public let createdAt: Date

    public init(id: String, size: Int64, createdAt: Date) {
        self.id = id
        self.size = size
        self.createdAt = createdAt
    }
}

/// Where files live (docs/design.md §3). Only the data service writes through it (§4): that is what
/// lets deleting an entity reclaim its storage.
///
/// ```swift
/// let info = try await blobs.put(request.body, maxBytes: 10 << 30)
/// for try await chunk in try await blobs.get(info.id, range: 0..<1024) { … }
/// ```
public protocol BlobStore: Sendable {
    /// Streams `bytes` into the store, hashing as they arrive; memory stays flat for any size.
    /// Nothing is visible under the id until every byte is durable; a stream that fails, is
    /// cancelled or exceeds `maxBytes` leaves nothing behind.
    func put<Bytes: AsyncSequence & Sendable>(_ bytes: Bytes, maxBytes: Int64?) async throws -> BlobInfo
    where Bytes.Element == ByteBuffer

    /// The bytes of `id`, whole or the half-open `range`, as a stream of chunks.
    func get(_ id: String, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error>

    /// The blob's size and time, or nil when it is not stored.
    func stat(_ id: String) async throws -> BlobInfo?

    /// Removes the blob; false when there was none.
    @discardableResult
    func delete(_ id: String) async throws -> Bool

    /// Blobs whose id starts with `prefix` (hex), in id order, at most `limit`, after `after`
    /// (exclusive) for keyset paging.
    func list(prefix: String, after: String?, limit: Int) async throws -> [BlobInfo]

    /// Removes what uploads left behind that never finished — a process killed in the middle
    /// of `put` cannot clean up after itself — and began before `cutoff`; returns how many
    /// it removed. Stored blobs are never touched.
    func removeAbandonedUploads(olderThan cutoff: Date) async throws -> Int

    /// Answers when the store can be used (for `/ready`).
    func checkReachable() async throws
}

extension BlobStore {
    public func get(_ id: String) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        try await get(id, range: nil)
    }
}

/// A blob store failure; callers never see the backend's own error types.
public struct BlobError: Error, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound = "blob_not_found"
        case tooLarge = "blob_too_large"
        case invalidID = "invalid_blob_id"
        case invalidRange = "invalid_range"
        case io = "blob_io_error"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func notFound(_ id: String) -> BlobError { BlobError(.notFound, "no blob \(id)") }
    public static func invalidID(_ id: String) -> BlobError {
        BlobError(.invalidID, "a blob id is 64 lowercase hex digits (its SHA-256), not \"\(id.prefix(80))\"")
    }
}

package enum BlobID {
    package static func isValid(_ id: String) -> Bool {
        id.utf8.count == 64 && isHexPrefix(id)
    }

    package static func isHexPrefix(_ text: String) -> Bool {
        text.utf8.count <= 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
