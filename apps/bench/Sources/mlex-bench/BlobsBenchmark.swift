import AsyncAlgorithms
import Blobs
import Crypto
import Foundation
import NIOCore

/// Put and get of one large stream through `FileBlobStore`, beside `cp` of the same file.
struct BlobsBenchmark {
    let directory: URL
    let megabytes: Int
    let chunkSize = 256 * 1024

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = directory.appendingPathComponent("source.bin")
        let copy = directory.appendingPathComponent("copy.bin")
        _ = try timeCommand(
            "/bin/dd", ["if=/dev/urandom", "of=\(source.path)", "bs=1M", "count=\(megabytes)", "status=none"])
        let bytes = Int64(megabytes) * 1_048_576
        let chunkSize = self.chunkSize
        let rssBefore = peakRSSMegabytes()

        var cp = Measurement(name: "cp (reference)", bytes: bytes, operations: 1)
        cp.elapsed = try timeCommand("/bin/cp", [source.path, copy.path])
        var cpSync = Measurement(name: "cp + sync (durable like put)", bytes: bytes, operations: 1)
        try FileManager.default.removeItem(at: copy)
        cpSync.elapsed = try timeCommand(
            "/bin/sh", ["-c", "cp '\(source.path)' '\(copy.path)' && sync '\(copy.path)'"])
        try FileManager.default.removeItem(at: copy)
        // cp copies inside the kernel (copy_file_range); dd moves the bytes through user memory
        // in 256 KB writes and fsyncs, as an upload must: the closest like-for-like reference.
        var ddSync = Measurement(name: "dd bs=256K conv=fsync", bytes: bytes, operations: 1)
        ddSync.elapsed = try timeCommand(
            "/bin/dd", ["if=\(source.path)", "of=\(copy.path)", "bs=256K", "conv=fsync", "status=none"])
        try FileManager.default.removeItem(at: copy)

        var sourceOnly = Measurement(name: "source read only (bench input)", bytes: bytes, operations: 1)
        let probe = try FileHandle(forReadingFrom: source)
        var start = ContinuousClock.now
        while let data = try probe.read(upToCount: chunkSize), !data.isEmpty { _ = ByteBuffer(bytes: data) }
        sourceOnly.elapsed = ContinuousClock.now - start

        var hashOnly = Measurement(name: "sha256 only (swift-crypto)", bytes: bytes, operations: 1)
        let block = ByteBuffer(bytes: [UInt8](repeating: 7, count: chunkSize))
        var hasher = SHA256()
        start = ContinuousClock.now
        for _ in 0..<(bytes / Int64(chunkSize)) { block.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        _ = hasher.finalize()
        hashOnly.elapsed = ContinuousClock.now - start

        let store = try FileBlobStore(directory: directory.appendingPathComponent("store"), readChunkSize: chunkSize)
        var put = Measurement(name: "FileBlobStore.put (sha256+fsync)", bytes: bytes)
        let reader = try FileHandle(forReadingFrom: source)
        // Read by its own task, as a socket would be, handing over one chunk at a time
        // (AsyncChannel suspends the reader until the store took the previous chunk).
        let chunks = AsyncChannel<ByteBuffer>()
        let producer = Task {
            while let data = try? reader.read(upToCount: chunkSize), !data.isEmpty {
                await chunks.send(ByteBuffer(bytes: data))
            }
            chunks.finish()
        }
        start = ContinuousClock.now
        let info = try await store.put(chunks, maxBytes: nil)
        put.elapsed = ContinuousClock.now - start
        await producer.value
        put.operations = 1

        var putMemory = Measurement(name: "put from memory (no source I/O)", bytes: bytes, operations: 1)
        let count = Int(bytes) / chunkSize
        let memorySource = (1...count).async.map { @Sendable index -> ByteBuffer in
            var chunk = block
            chunk.setInteger(UInt64(index), at: 0)  // distinct chunks, as a real upload has
            return chunk
        }
        start = ContinuousClock.now
        _ = try await store.put(memorySource, maxBytes: nil)
        putMemory.elapsed = ContinuousClock.now - start

        var get = Measurement(name: "FileBlobStore.get (stream)", bytes: bytes)
        start = ContinuousClock.now
        var last = start
        var received: Int64 = 0
        for try await chunk in try await store.get(info.id) {
            received += Int64(chunk.readableBytes)
            let now = ContinuousClock.now
            get.latencies.append(now - last)
            last = now
        }
        get.elapsed = ContinuousClock.now - start
        get.operations = get.latencies.count
        precondition(received == bytes, "get returned \(received) of \(bytes) bytes")

        Table.print(
            title: "Blobs: \(megabytes) MB stream",
            rows: [cp, cpSync, ddSync, sourceOnly, hashOnly, put, putMemory, get], reference: "cp of the same file")
        print(
            String(
                format: "peak RSS: %.0f MB before the blob runs, %.0f MB after (a flat line means streaming)",
                rssBefore, peakRSSMegabytes()))
        print("get p50/p99: per \(chunkSize / 1024) KB chunk handed to the reader")
        try? FileManager.default.removeItem(at: directory)
    }
}
