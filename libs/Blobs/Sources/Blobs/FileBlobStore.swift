import Crypto
import Foundation
import NIOCore
import NIOPosix

/// Blobs as files under `<state>/blobs`: `sha256/ab/cd/<id>` for stored blobs and `incoming/`
/// for uploads in progress, renamed into place (atomically, after fsync) once complete.
/// Blocking file calls run on NIO's thread pool, never on Swift's cooperative pool.
public struct FileBlobStore: BlobStore {
    let root: URL
    let threadPool: NIOThreadPool
    /// Chunk size for reads; writes take the chunks as they come.
    let readChunkSize: Int

    public init(directory: URL, threadPool: NIOThreadPool = .singleton, readChunkSize: Int = 256 * 1024) throws {
        self.root = directory
        self.threadPool = threadPool
        self.readChunkSize = readChunkSize
        for sub in ["sha256", "incoming"] {
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
    }

    func path(of id: String) -> String {
        let characters = Array(id)
        return root.appendingPathComponent("sha256/\(String(characters[0..<2]))/\(String(characters[2..<4]))/\(id)")
            .path
    }

    public func put<Bytes: AsyncSequence & Sendable>(_ bytes: Bytes, maxBytes: Int64?) async throws -> BlobInfo
    where Bytes.Element == ByteBuffer {
        let incoming = root.appendingPathComponent("incoming/\(UUID().uuidString)").path
        let file = try await threadPool.runIfActive { try PosixFile(creating: incoming) }
        var committed = false
        defer {
            if !committed { unlink(incoming) }
        }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            for try await chunk in bytes {
                size += Int64(chunk.readableBytes)
                if let maxBytes, size > maxBytes {
                    throw BlobError(.tooLarge, "the upload exceeds the limit of \(maxBytes) bytes")
                }
                // Write on the pool while this task hashes the same chunk: the upload costs the
                // slower of the two, not their sum.
                async let written: Void = threadPool.runIfActive { try file.write(chunk) }
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try await written
                try Task.checkCancellation()
            }
            try await threadPool.runIfActive { try file.sync() }
        } catch {
            try? await threadPool.runIfActive { file.close() }
            throw error
        }
        let id = FileDigest.hex(hasher.finalize())
        let destination = path(of: id)
        try await threadPool.runIfActive {
            file.close()
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Same content already stored: keep the existing file, ours is dropped by `defer`.
            if access(destination, F_OK) == 0 { return }
            guard rename(incoming, destination) == 0 else { throw PosixFile.error("rename", incoming) }
        }
        // Renamed into place, or (same content already stored) left for `defer` to remove.
        committed = access(incoming, F_OK) != 0
        guard let info = try await stat(id) else { throw BlobError.notFound(id) }
        return info
    }

    /// Files in `incoming/` (uploads in progress) last written before `cutoff`.
    public func removeAbandonedUploads(olderThan cutoff: Date) async throws -> Int {
        let incoming = root.appendingPathComponent("incoming")
        return try await threadPool.runIfActive {
            var removed = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: incoming.path) {
                let path = incoming.appendingPathComponent(name).path
                guard
                    let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date,
                    modified < cutoff
                else { continue }
                if unlink(path) == 0 { removed += 1 }
            }
            return removed
        }
    }

    public func get(_ id: String, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        guard BlobID.isValid(id) else { throw BlobError.invalidID(id) }
        let location = path(of: id)
        let file = try await threadPool.runIfActive { () throws -> PosixFile? in
            try PosixFile(reading: location)
        }
        guard let file else { throw BlobError.notFound(id) }
        let size = try await threadPool.runIfActive { try file.size() }
        let wanted = range ?? 0..<size
        guard wanted.lowerBound >= 0, wanted.upperBound <= size else {
            try? await threadPool.runIfActive { file.close() }
            throw BlobError(
                .invalidRange, "range \(wanted.lowerBound)..<\(wanted.upperBound) is outside the blob's \(size) bytes")
        }
        let reader = RangeReader(file: file, range: wanted, chunkSize: readChunkSize, threadPool: threadPool)
        // Unbuffered: the reader pulls each chunk, so a slow client holds one chunk, not the file.
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    public func stat(_ id: String) async throws -> BlobInfo? {
        guard BlobID.isValid(id) else { throw BlobError.invalidID(id) }
        let location = path(of: id)
        return try await threadPool.runIfActive { Self.info(id: id, path: location) }
    }

    public func delete(_ id: String) async throws -> Bool {
        guard BlobID.isValid(id) else { throw BlobError.invalidID(id) }
        let location = path(of: id)
        return try await threadPool.runIfActive {
            if unlink(location) == 0 { return true }
            if errno == ENOENT { return false }
            throw PosixFile.error("unlink", location)
        }
    }

    public func list(prefix: String, after: String?, limit: Int) async throws -> [BlobInfo] {
        guard BlobID.isHexPrefix(prefix) else {
            throw BlobError(.invalidID, "a prefix is lowercase hex, not \"\(prefix.prefix(80))\"")
        }
        let base = root.appendingPathComponent("sha256")
        return try await threadPool.runIfActive {
            let manager = FileManager.default
            var found: [BlobInfo] = []
            // Walk only the fan-out directories the prefix can match, in order.
            for first in try Self.sortedEntries(manager, base.path) where Self.compatible(first, prefix, at: 0) {
                for second in try Self.sortedEntries(manager, base.path + "/" + first)
                where Self.compatible(second, prefix, at: 2) {
                    let directory = base.path + "/" + first + "/" + second
                    for id in try Self.sortedEntries(manager, directory)
                    where BlobID.isValid(id) && id.hasPrefix(prefix) {
                        if let after, id <= after { continue }
                        if let info = Self.info(id: id, path: directory + "/" + id) { found.append(info) }
                        if found.count == limit { return found }
                    }
                }
            }
            return found
        }
    }

    public func checkReachable() async throws {
        let incoming = root.appendingPathComponent("incoming").path
        try await threadPool.runIfActive {
            guard access(incoming, W_OK) == 0 else { throw PosixFile.error("access", incoming) }
        }
    }

    static func info(id: String, path: String) -> BlobInfo? {
        var status = Glibc.stat()
        guard lstat(path, &status) == 0 else { return nil }
        let created = Date(
            timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9)
        return BlobInfo(id: id, size: Int64(status.st_size), createdAt: created)
    }

    static func sortedEntries(_ manager: FileManager, _ path: String) throws -> [String] {
        guard manager.fileExists(atPath: path) else { return [] }
        return try manager.contentsOfDirectory(atPath: path).sorted()
    }

    /// Whether a two-character fan-out directory can hold ids starting with `prefix`.
    static func compatible(_ directory: String, _ prefix: String, at offset: Int) -> Bool {
        let part = prefix.dropFirst(offset).prefix(2)
        return directory.hasPrefix(part)
    }
}

/// Walks one range of an open blob, a chunk per call. Used by exactly one consuming stream, so
/// its mutable cursor is never touched concurrently.
final class RangeReader: @unchecked Sendable {
    private let file: PosixFile
    private let end: Int64
    private let chunkSize: Int
    private let threadPool: NIOThreadPool
    private var offset: Int64

    init(file: PosixFile, range: Range<Int64>, chunkSize: Int, threadPool: NIOThreadPool) {
        self.file = file
        self.offset = range.lowerBound
        self.end = range.upperBound
        self.chunkSize = chunkSize
        self.threadPool = threadPool
    }

    func next() async throws -> ByteBuffer? {
        guard offset < end else {
            try? await threadPool.runIfActive { [file] in file.close() }
            return nil
        }
        let count = Int(min(Int64(chunkSize), end - offset))
        let start = offset
        let chunk = try await threadPool.runIfActive { [file] in try file.read(count: count, at: start) }
        offset += Int64(chunk.readableBytes)
        return chunk
    }
}
