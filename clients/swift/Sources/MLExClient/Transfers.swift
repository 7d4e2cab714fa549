import AsyncHTTPClient
import Blobs
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Wire

extension MLExClient {
    /// Streams `file` to a data-service file path (`/v1/projects/{id}/files/<path>`,
    /// `/v1/dataset-versions/{id}/files/<path>`, …), which checks it against `sha256`; the
    /// stored file's description.
    @discardableResult
    public func upload(
        _ file: URL, toDataPath path: String, sha256: String, progress: TransferProgress? = nil
    ) async throws -> JSONValue {
        let size = try Self.size(of: file)
        let response = try await send(authenticated: true, timeout: .hours(12)) { token in
            var request = HTTPClientRequest(url: self.url(.data, path))
            request.method = .PUT
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.headers.add(name: "X-Content-SHA256", value: sha256)
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let chunks = FileChunks(file: file, progress: progress, total: size).map { ByteBuffer(data: $0.data) }
            request.body = .stream(chunks, length: .known(size))
            return request
        }
        let bytes = try await response.body.collect(upTo: 1 << 20)
        try Self.check(response.status, bytes)
        return try JSONValue.parse(String(buffer: bytes))
    }

    /// Downloads a data-service file path (e.g. a job output's `downloadPath` without its
    /// `/api/data` prefix) to `destination`. Bytes land in `<destination>.part` first; a cut
    /// download resumes from what that holds (`Range`), and the whole file must match `sha256`
    /// before it takes its name. A destination already holding that content is left alone.
    /// Returns the bytes transferred this time.
    @discardableResult
    public func download(
        dataPath path: String, to destination: URL, size: Int64, sha256: String, progress: TransferProgress? = nil
    ) async throws -> Int64 {
        if (try? Self.size(of: destination)) == size, (try? FileDigest.sha256(of: destination)) == sha256 { return 0 }
        try FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let partial = destination.appendingPathExtension("part")
        var have = (try? Self.size(of: partial)) ?? 0
        if have > size {
            try FileManager.default.removeItem(at: partial)
            have = 0
        }
        if !FileManager.default.fileExists(atPath: partial.path) {
            _ = FileManager.default.createFile(atPath: partial.path, contents: nil)
        }
        var received: Int64 = 0
        if have < size {
            let start = have
            let response = try await send(authenticated: true, timeout: .hours(12)) { token in
                var request = HTTPClientRequest(url: self.url(.data, path))
                if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                if start > 0 { request.headers.add(name: "Range", value: "bytes=\(start)-") }
                return request
            }
            guard response.status == .ok || response.status == .partialContent else {
                try Self.check(response.status, try await response.body.collect(upTo: 1 << 20))
                return 0
            }
            let handle = try FileHandle(forWritingTo: partial)
            defer { try? handle.close() }
            // A server that ignores Range sends everything from byte 0.
            try handle.truncate(atOffset: response.status == .ok ? 0 : UInt64(start))
            try handle.seekToEnd()
            var written = response.status == .ok ? 0 : start
            for try await buffer in response.body {
                try handle.write(contentsOf: Data(buffer: buffer))
                written += Int64(buffer.readableBytes)
                received += Int64(buffer.readableBytes)
                progress?(written, size)
            }
        }
        let digest = try FileDigest.sha256(of: partial)
        guard digest == sha256 else {
            try? FileManager.default.removeItem(at: partial)
            throw ClientError.integrity(
                "\(destination.lastPathComponent) arrived with SHA-256 \(digest), expected \(sha256); the partial file was removed, run the download again"
            )
        }
        _ = try? FileManager.default.removeItem(at: destination)
        try FileManager.default.moveItem(at: partial, to: destination)
        return received
    }

    static func size(of file: URL) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        return (attributes[.size] as? NSNumber)?.int64Value ?? 0
    }

    // MARK: server-sent events

    /// A server-sent event: its `event` name, `id` and `data` (lines joined).
    public struct ServerSentEvent: Sendable, Equatable {
        public var event = "message"
        public var id: String?
        public var data = ""
    }

    /// The events of a `text/event-stream` endpoint, until the server ends the stream.
    public func events(
        _ service: Service, _ path: String, query: [String: String?] = [:]
    ) async throws -> AsyncThrowingStream<ServerSentEvent, any Error> {
        let response = try await send(authenticated: true, timeout: .hours(24 * 30)) { token in
            var request = HTTPClientRequest(url: self.url(service, path) + Self.queryString(query))
            request.headers.add(name: "Accept", value: "text/event-stream")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            return request
        }
        guard response.status == .ok else {
            try Self.check(response.status, try await response.body.collect(upTo: 1 << 20))
            throw ClientError.api(
                APIFailure(
                    status: Int(response.status.code), code: "unexpected_status",
                    message: "unexpected \(response.status)", field: nil))
        }
        return AsyncThrowingStream { continuation in
            let reader = Task {
                do {
                    var parser = EventStreamParser()
                    for try await buffer in response.body {
                        for event in parser.feed(buffer.readableBytesView) { continuation.yield(event) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }
}

/// Splits a `text/event-stream` body into events (the WHATWG rules the platform's servers
/// use: `field: value` lines, a blank line ends an event, `:` lines are comments).
struct EventStreamParser {
    private var line: [UInt8] = []
    private var current = MLExClient.ServerSentEvent()
    private var hasData = false

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [MLExClient.ServerSentEvent] {
        var events: [MLExClient.ServerSentEvent] = []
        for byte in bytes {
            guard byte == UInt8(ascii: "\n") else {
                if byte != UInt8(ascii: "\r") { line.append(byte) }
                continue
            }
            if line.isEmpty {
                if hasData { events.append(current) }
                current = MLExClient.ServerSentEvent()
                hasData = false
            } else {
                take(String(decoding: line, as: UTF8.self))
            }
            line.removeAll(keepingCapacity: true)
        }
        return events
    }

    private mutating func take(_ text: String) {
        guard !text.hasPrefix(":") else { return }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        var value = parts.count > 1 ? String(parts[1]) : ""
        if value.hasPrefix(" ") { value.removeFirst() }
        switch parts[0] {
        case "event": current.event = value
        case "id": current.id = value
        case "data":
            current.data = hasData ? current.data + "\n" + value : value
            hasData = true
        default: break
        }
    }
}
