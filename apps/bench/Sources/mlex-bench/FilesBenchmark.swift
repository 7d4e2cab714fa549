import AsyncHTTPClient
import Foundation
import NIOCore
import Platform

/// A big file through the data service's HTTP API, up and back down, beside `cp` of the same
/// file in the same run, with the process's peak RSS (the service runs in this process, so
/// the figure is the service's plus the client's).
struct FilesBenchmark {
    let directory: URL
    let megabytes: Int

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let services = try await BenchServices.start(directory: directory.appendingPathComponent("state"))
        defer { services.stop() }
        let client = services.client
        let project = try await client.call("POST", "/v1/projects", #"{"name": "files"}"#)["id"]!.stringValue!

        let source = directory.appendingPathComponent("source.bin").path
        try writeFile(source, megabytes: megabytes)
        let bytes = Int64(megabytes) << 20
        let rssBefore = peakRSSMegabytes()

        var copy = Measurement(name: "cp", bytes: bytes, operations: 1)
        copy.elapsed = try timeCommand("/bin/cp", [source, directory.appendingPathComponent("copy.bin").path])
        var copySynced = Measurement(name: "cp + sync", bytes: bytes, operations: 1)
        copySynced.elapsed = try timeCommand("/bin/sh", ["-c", "cp '\(source)' '\(directory.path)/copy2.bin' && sync"])

        var upload = Measurement(name: "PUT /v1/projects/{id}/files (stream)", bytes: bytes, operations: 1)
        let uploadStart = ContinuousClock.now
        var request = HTTPClientRequest(url: client.base + "/v1/projects/\(project)/files/big.bin")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(client.token ?? "")")
        request.body = .stream(FileChunks(path: source), length: .known(bytes))
        let stored = try await HTTPClient.shared.execute(request, timeout: .seconds(3600))
        guard stored.status == .created else {
            throw CocoaError(
                .fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "upload answered \(stored.status)"])
        }
        _ = try await stored.body.collect(upTo: 1 << 20)
        upload.elapsed = ContinuousClock.now - uploadStart

        var download = Measurement(name: "GET /v1/projects/{id}/files (to a file)", bytes: bytes, operations: 1)
        let downloadStart = ContinuousClock.now
        var fetch = HTTPClientRequest(url: client.base + "/v1/projects/\(project)/files/big.bin")
        fetch.headers.add(name: "Authorization", value: "Bearer \(client.token ?? "")")
        let response = try await HTTPClient.shared.execute(fetch, timeout: .seconds(3600))
        let output = try FileHandle(
            forWritingTo: URL(fileURLWithPath: createEmpty(directory.appendingPathComponent("download.bin").path)))
        var received: Int64 = 0
        // Written 4 MB at a time, as a download tool would: one syscall per HTTP chunk costs more than the transfer.
        var pending = Data()
        pending.reserveCapacity(4 << 20)
        for try await chunk in response.body {
            received += Int64(chunk.readableBytes)
            pending.append(contentsOf: chunk.readableBytesView)
            if pending.count >= 4 << 20 {
                try output.write(contentsOf: pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        try output.write(contentsOf: pending)
        try output.close()
        download.elapsed = ContinuousClock.now - downloadStart
        guard received == bytes else { throw CocoaError(.fileReadCorruptFile) }

        // The same download, bytes counted and dropped: what the service and HTTP alone cost.
        var streamed = Measurement(name: "GET /v1/projects/{id}/files (discarded)", bytes: bytes, operations: 1)
        let streamStart = ContinuousClock.now
        var counted: Int64 = 0
        for try await chunk in try await HTTPClient.shared.execute(fetch, timeout: .seconds(3600)).body {
            counted += Int64(chunk.readableBytes)
        }
        streamed.elapsed = ContinuousClock.now - streamStart
        guard counted == bytes else { throw CocoaError(.fileReadCorruptFile) }

        Table.print(
            title: "Files: \(megabytes) MB through HTTP (goal ≥ 70% of cp, peak RSS < 150 MB)",
            rows: [copy, copySynced, upload, download, streamed], reference: "cp of the same file")
        print(
            String(
                format: "peak RSS: %.0f MB before the transfers, %.0f MB after (service and client in one process)",
                rssBefore, peakRSSMegabytes()))
        try? FileManager.default.removeItem(at: directory)
    }

    private func writeFile(_ path: String, megabytes: Int) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: createEmpty(path)))
        var generator = SystemRandomNumberGenerator()
        let block = Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        for index in 0..<megabytes {
            var chunk = block
            chunk[0] = UInt8(truncatingIfNeeded: index)
            chunk[1] = UInt8(truncatingIfNeeded: index >> 8)
            try handle.write(contentsOf: chunk)
        }
        try handle.close()
    }

    private func createEmpty(_ path: String) -> String {
        FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }
}

/// A file read in 1 MB chunks as they are consumed.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?

        mutating func next() async throws -> ByteBuffer? {
            guard let data = try handle?.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: FileHandle(forReadingAtPath: path))
    }
}
