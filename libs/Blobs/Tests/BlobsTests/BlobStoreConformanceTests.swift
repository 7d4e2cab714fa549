import Blobs
import Crypto
import Foundation
import MongoStore
import NIOCore
import PlatformTesting
import Testing

/// One entry per backend: the GridFS backend joins this suite by adding a line here.
struct BlobBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () async throws -> any BlobStore
    var testDescription: String { name }

    static let all: [BlobBackend] = [
        BlobBackend(name: "files") {
            try FileBlobStore(directory: try temporaryDirectory().appendingPathComponent("blobs"), readChunkSize: 4096)
        },
        BlobBackend(name: "gridfs (nx-27017)") { try GridFSBlobStore(url: try WireServers.mongoDatabaseURL()) },
    ]
}

func bytes(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &+ seed) &* 131 &+ ($0 >> 9)) }
}

func chunks(_ data: [UInt8], size: Int = 1000) -> AsyncStream<ByteBuffer> {
    AsyncStream { continuation in
        for start in stride(from: 0, to: data.count, by: size) {
            continuation.yield(ByteBuffer(bytes: data[start..<min(start + size, data.count)]))
        }
        continuation.finish()
    }
}

func collect(_ stream: AsyncThrowingStream<ByteBuffer, any Error>) async throws -> [UInt8] {
    var result: [UInt8] = []
    for try await chunk in stream { result += chunk.readableBytesView }
    return result
}

func sha256(_ data: [UInt8]) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

@Suite("BlobStore conformance")
struct BlobStoreConformanceTests {
    @Test("put hashes while streaming; get returns the same bytes", arguments: BlobBackend.all)
    func roundTrip(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let data = bytes(50_000)
        let info = try await store.put(chunks(data), maxBytes: nil)
        #expect(info.id == sha256(data))
        #expect(info.size == 50_000)
        #expect(try await collect(store.get(info.id)) == data)
        #expect(try await store.stat(info.id) == info)
    }

    @Test("the same content is stored once under one id", arguments: BlobBackend.all)
    func deduplicates(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let first = try await store.put(chunks(bytes(3000)), maxBytes: nil)
        let second = try await store.put(chunks(bytes(3000), size: 7), maxBytes: nil)
        #expect(first.id == second.id)
        #expect(try await store.list(prefix: "", after: nil, limit: 10).count == 1)
    }

    @Test("an empty blob is a blob", arguments: BlobBackend.all)
    func empty(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let info = try await store.put(chunks([]), maxBytes: 0)
        #expect(info.id == sha256([]))
        #expect(info.size == 0)
        #expect(try await collect(store.get(info.id)).isEmpty)
    }

    @Test("byte ranges return exactly the asked bytes; ranges outside are refused", arguments: BlobBackend.all)
    func ranges(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let data = bytes(20_000)
        let info = try await store.put(chunks(data), maxBytes: nil)
        for range in [0..<1, 4095..<4097, 10_000..<20_000, 19_999..<20_000, 5..<5] as [Range<Int64>] {
            #expect(
                try await collect(store.get(info.id, range: range))
                    == Array(data[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        let error = await #expect(throws: BlobError.self) { try await store.get(info.id, range: 0..<20_001) }
        #expect(error?.code == .invalidRange)
    }

    @Test("a blob of several megabytes: whole, and ranges across storage chunk boundaries", arguments: BlobBackend.all)
    func largeRanges(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let data = bytes(3_000_000, seed: 7)
        let info = try await store.put(chunks(data, size: 65_536), maxBytes: nil)
        #expect(info.size == 3_000_000 && info.id == sha256(data))
        // 261_120 is GridFS's 255 KiB chunk size; 4096 the files backend's read size in this suite.
        for range in [0..<3_000_000, 261_100..<261_200, 261_120..<522_240, 522_239..<2_100_000, 2_999_999..<3_000_000]
            as [Range<Int64>]
        {
            #expect(
                try await collect(store.get(info.id, range: range))
                    == Array(data[Int(range.lowerBound)..<Int(range.upperBound)]), "\(range)")
        }
    }

    @Test("a stream over the limit is refused and leaves nothing behind", arguments: BlobBackend.all)
    func sizeLimit(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let error = await #expect(throws: BlobError.self) {
            try await store.put(chunks(bytes(10_001)), maxBytes: 10_000)
        }
        #expect(error?.code == .tooLarge)
        #expect(try await store.list(prefix: "", after: nil, limit: 10).isEmpty)
        #expect(try await store.stat(sha256(bytes(10_001))) == nil)
        let exact = try await store.put(chunks(bytes(10_000)), maxBytes: 10_000)
        #expect(exact.size == 10_000)
    }

    @Test("a stream that fails midway leaves nothing behind", arguments: BlobBackend.all)
    func failedStream(backend: BlobBackend) async throws {
        struct Cut: Error {}
        let store = try await backend.make()
        let failing = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            continuation.yield(ByteBuffer(bytes: bytes(5000)))
            continuation.finish(throwing: Cut())
        }
        await #expect(throws: Cut.self) { try await store.put(failing, maxBytes: nil) }
        #expect(try await store.list(prefix: "", after: nil, limit: 10).isEmpty)
    }

    @Test(
        "what an upload stalled mid-stream (as by a killed process) wrote is removed as abandoned; blobs stay",
        arguments: BlobBackend.all)
    func abandonedUpload(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let kept = try await store.put(chunks(bytes(3000, seed: 1)), maxBytes: nil)
        // The writer sends 600 KB (more than a GridFS chunk), then goes silent: a dead process.
        let (stalled, writer) = AsyncStream<ByteBuffer>.makeStream()
        let upload = Task { try await store.put(stalled, maxBytes: nil) }
        for index in 0..<6 { writer.yield(ByteBuffer(bytes: bytes(100_000, seed: index))) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await store.removeAbandonedUploads(olderThan: Date().addingTimeInterval(-3600)) == 0, "it is young")
        let removed = try await withRetries(20) {
            let count = try await store.removeAbandonedUploads(olderThan: Date().addingTimeInterval(1))
            guard count > 0 else { throw CancellationError() }
            return count
        }
        #expect(removed == 1)
        // The stalled writer wakes up and fails; whatever it wrote meanwhile goes the same way.
        upload.cancel()
        writer.finish()
        _ = await upload.result
        _ = try await store.removeAbandonedUploads(olderThan: Date().addingTimeInterval(1))
        #expect(try await store.removeAbandonedUploads(olderThan: Date().addingTimeInterval(1)) == 0)
        #expect(try await collect(try await store.get(kept.id)) == bytes(3000, seed: 1))
        #expect(try await store.list(prefix: "", after: nil, limit: 10).map(\.id) == [kept.id])
    }

    @Test("delete removes; deleting twice says there was nothing", arguments: BlobBackend.all)
    func delete(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let info = try await store.put(chunks(bytes(100)), maxBytes: nil)
        #expect(try await store.delete(info.id))
        #expect(try await store.stat(info.id) == nil)
        #expect(try await !store.delete(info.id))
        let error = await #expect(throws: BlobError.self) { try await store.get(info.id) }
        #expect(error?.code == .notFound)
    }

    @Test("list by prefix, in id order, paged by the last id", arguments: BlobBackend.all)
    func list(backend: BlobBackend) async throws {
        let store = try await backend.make()
        var ids: [String] = []
        for seed in 0..<12 { ids.append(try await store.put(chunks(bytes(64, seed: seed)), maxBytes: nil).id) }
        ids.sort()
        let firstPage = try await store.list(prefix: "", after: nil, limit: 5)
        let secondPage = try await store.list(prefix: "", after: firstPage.last?.id, limit: 100)
        #expect((firstPage + secondPage).map(\.id) == ids)
        let prefix = String(ids[3].prefix(3))
        #expect(
            try await store.list(prefix: prefix, after: nil, limit: 100).map(\.id)
                == ids.filter { $0.hasPrefix(prefix) })
        #expect(try await store.list(prefix: ids[7], after: nil, limit: 100).map(\.id) == [ids[7]])
    }

    @Test("malformed ids and prefixes are typed errors, never a path on disk", arguments: BlobBackend.all)
    func invalidInput(backend: BlobBackend) async throws {
        let store = try await backend.make()
        for bad in ["", "../../etc/passwd", String(repeating: "A", count: 64), String(repeating: "a", count: 63) + "/"]
        {
            let error = await #expect(throws: BlobError.self) { try await store.stat(bad) }
            #expect(error?.code == .invalidID)
        }
        let error = await #expect(throws: BlobError.self) { try await store.list(prefix: "../", after: nil, limit: 1) }
        #expect(error?.code == .invalidID)
        try await store.checkReachable()
    }

    @Test("a reader abandoning a download midway leaks nothing and the blob stays whole", arguments: BlobBackend.all)
    func abandonedRead(backend: BlobBackend) async throws {
        let store = try await backend.make()
        let data = bytes(100_000)
        let info = try await store.put(chunks(data), maxBytes: nil)
        for try await _ in try await store.get(info.id) { break }
        #expect(try await collect(store.get(info.id)) == data)
    }
}
