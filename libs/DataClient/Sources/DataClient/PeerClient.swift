import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Platform

/// What a peer service answered when it was not a success: its status and, when it sent the
/// platform's error shape (docs/design.md §4), its code, message and field.
public struct PeerError: Error, CustomStringConvertible, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    public let field: String?

    public var description: String { "\(status) \(code): \(message)" + (field.map { " (\($0))" } ?? "") }

    /// The same refusal for our own caller, or a 503 when the peer failed rather than refused.
    public var apiError: APIError {
        switch status {
        case 404: APIError.notFound(message, field: field)
        case 400..<500: APIError(.init(code: status), code: code, message: message, field: field)
        default: APIError.unavailable("a peer service failed: \(message)")
        }
    }
}

/// Calls another service's `/v1` API as this service (or as whoever `token` gives), with JSON
/// bodies, streamed file uploads and downloads. One per peer; cheap to copy.
public struct PeerClient: Sendable {
    public let baseURL: String
    let token: @Sendable () async throws -> String
    let client: HTTPClient

    public init(baseURL: String, client: HTTPClient = .shared, token: @escaping @Sendable () async throws -> String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.token = token
    }

    /// Sends `body` as JSON and returns the answer's JSON (null for an empty answer).
    @discardableResult
    public func call(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, timeout: TimeAmount = .seconds(30)
    ) async throws -> JSONValue {
        var request = try await request(method, path)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.jsonText))
        }
        return try await Self.answer(try await client.execute(request, timeout: timeout), upTo: 64 << 20)
    }

    /// Streams a local file as the body of a PUT (no more than 1 MiB in memory at once).
    @discardableResult
    public func upload(_ file: URL, to path: String, timeout: TimeAmount = .minutes(30)) async throws -> JSONValue {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        var request = try await request(.PUT, path)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        // Read as the upload asks for it: a stream filled up front held the whole file in memory.
        request.body = .stream(FileChunks(handle: handle), length: .known(Int64(size)))
        return try await Self.answer(try await client.execute(request, timeout: timeout), upTo: 1 << 20)
    }

    /// Streams a GET's body into `file` (created or replaced); returns the bytes written.
    @discardableResult
    public func download(_ path: String, to file: URL, timeout: TimeAmount = .minutes(30)) async throws -> Int64 {
        let response = try await client.execute(try await request(.GET, path), timeout: timeout)
        guard response.status == .ok else {
            try Self.check(response.status, try await response.body.collect(upTo: 1 << 20))
            return 0
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission)
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var written: Int64 = 0
        for try await buffer in response.body {
            try handle.write(contentsOf: buffer.readableBytesView)
            written += Int64(buffer.readableBytes)
        }
        return written
    }

    private func request(_ method: HTTPMethod, _ path: String) async throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(try await token())")
        return request
    }

    /// The answer's JSON (null when empty), or the peer's refusal thrown.
    private static func answer(_ response: HTTPClientResponse, upTo limit: Int) async throws -> JSONValue {
        let bytes = try await response.body.collect(upTo: limit)
        try check(response.status, bytes)
        return bytes.readableBytes == 0 ? .null : try JSONValue.parse(String(buffer: bytes))
    }

    private static func check(_ status: HTTPResponseStatus, _ bytes: ByteBuffer) throws {
        guard !(200..<300).contains(Int(status.code)) else { return }
        let error = (try? JSONValue.parse(String(buffer: bytes)))?["error"]
        throw PeerError(
            status: Int(status.code), code: error?["code"]?.stringValue ?? "http_\(status.code)",
            message: error?["message"]?.stringValue ?? status.reasonPhrase, field: error?["field"]?.stringValue
        )
    }

    /// A path segment or file path made safe for a URL (each segment percent-encoded).
    public static func escape(path: String) -> String { URLPath.escape(path) }
}

/// A file's bytes in 1 MiB chunks, each read only when the consumer asks for the next.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let handle: FileHandle

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle

        mutating func next() async throws -> ByteBuffer? {
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
            return ByteBuffer(data: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }
}
