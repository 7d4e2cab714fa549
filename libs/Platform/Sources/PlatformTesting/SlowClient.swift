import Foundation
import NIOCore
import NIOPosix

/// An HTTP/1.1 client on a raw TCP socket that sends a request's body the way real clients do
/// and HTTP client libraries in tests never do: after the headers, late, in slow pieces, chunked,
/// or large — while it already listens for an answer the server may give before the body is in.
public enum SlowClient {
    public enum Delivery: String, Sendable, CaseIterable, CustomStringConvertible {
        /// The whole body 300 ms after the headers (as Python `requests` and browsers do).
        case late
        /// Ten pieces, 50 ms apart.
        case slow
        /// `Transfer-Encoding: chunked`, three chunks 100 ms apart.
        case chunked
        /// 5 MB (over the 4 MB JSON limit) with a `Content-Length`, in 64 KB writes.
        case big
        /// 5 MB chunked, in 64 KB chunks.
        case bigChunked

        public var description: String { rawValue }

        public var bodySize: Int {
            switch self {
            case .late, .slow, .chunked: 4 * 1024
            case .big, .bigChunked: 5 * 1024 * 1024
            }
        }

        var isChunked: Bool { self == .chunked || self == .bigChunked }
    }

    public struct Answer: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: String
    }

    /// Sends `method path` with `headers` and a body of `delivery.bodySize` bytes (`body` repeated)
    /// delivered as `delivery`; returns the response, which may arrive before the body is sent.
    public static func exchange(
        port: Int, _ method: String, _ path: String, headers: [String: String] = [:],
        body: String = "x", delivery: Delivery
    ) async throws -> Answer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let payload = Array(
            String(repeating: body, count: delivery.bodySize / max(1, body.utf8.count) + 1).utf8.prefix(
                delivery.bodySize))
        // Keep-alive, as browsers and Python `requests` send: the server then drains what it did
        // not read before the next request, which is where two readers of one body once met.
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += delivery.isChunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: \(payload.count)\r\n\r\n"
        let request = head

        return try await channel.executeThenClose { inbound, outbound in
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // The server may close the connection once it has answered: a failed write
                    // after that is the expected end of sending, not the test's failure.
                    try? await send(head: request, payload: payload, delivery: delivery, to: outbound)
                }
                defer { group.cancelAll() }
                guard let answer = try await readAnswer(from: inbound) else {
                    throw POSIXError(.ECONNRESET, "no answer before the connection closed")
                }
                return answer
            }
        }
    }

    private static func send(
        head: String, payload: [UInt8], delivery: Delivery, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        try await outbound.write(ByteBuffer(string: head))
        let pieces: [ArraySlice<UInt8>]
        let pause: Duration
        switch delivery {
        case .late:
            pieces = [payload[...]]
            pause = .milliseconds(300)
        case .slow:
            pieces = split(payload, count: 10)
            pause = .milliseconds(50)
        case .chunked:
            pieces = split(payload, count: 3)
            pause = .milliseconds(100)
        case .big, .bigChunked:
            pieces = split(payload, size: 64 * 1024)
            pause = .zero
        }
        for piece in pieces {
            if pause > .zero { try await Task.sleep(for: pause) }
            if delivery.isChunked {
                try await outbound.write(ByteBuffer(string: String(piece.count, radix: 16) + "\r\n"))
                try await outbound.write(ByteBuffer(bytes: piece))
                try await outbound.write(ByteBuffer(string: "\r\n"))
            } else {
                try await outbound.write(ByteBuffer(bytes: piece))
            }
        }
        if delivery.isChunked { try await outbound.write(ByteBuffer(string: "0\r\n\r\n")) }
    }

    private static func split(_ bytes: [UInt8], count: Int) -> [ArraySlice<UInt8>] {
        split(bytes, size: (bytes.count + count - 1) / count)
    }

    private static func split(_ bytes: [UInt8], size: Int) -> [ArraySlice<UInt8>] {
        stride(from: 0, to: bytes.count, by: size).map { bytes[$0..<min($0 + size, bytes.count)] }
    }

    /// Reads until one whole response is in: by its `Content-Length`, its last chunk, or the close.
    private static func readAnswer(from inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async throws -> Answer? {
        var received: [UInt8] = []
        var answer: Answer?
        for try await buffer in inbound {
            received += buffer.readableBytesView
            answer = parse(received, complete: false)
            if answer != nil { return answer }
        }
        return parse(received, complete: true)
    }

    private static func parse(_ bytes: [UInt8], complete: Bool) -> Answer? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) }) else {
            return nil
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first,
            let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let body = bytes[(end + 4)...]
        if let length = headers["content-length"].flatMap(Int.init) {
            // Short of its length even once the connection closed: a cut-off answer is no answer.
            guard body.count >= length else { return nil }
            return Answer(status: status, headers: headers, body: String(decoding: body.prefix(length), as: UTF8.self))
        }
        if headers["transfer-encoding"] == "chunked" {
            guard complete || body.suffix(5).elementsEqual(Array("0\r\n\r\n".utf8)) else { return nil }
            return Answer(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
        }
        return complete ? Answer(status: status, headers: headers, body: String(decoding: body, as: UTF8.self)) : nil
    }
}
