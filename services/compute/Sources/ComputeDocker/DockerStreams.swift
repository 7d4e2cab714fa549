import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Which of a container's streams a log frame came from.
public enum LogStream: UInt8, Sendable {
    case stdin = 0
    case stdout = 1
    case stderr = 2
}

/// Decodes Docker's multiplexed log stream (a container without a TTY): frames of an 8-byte
/// header — stream type, three zero bytes, a big-endian UInt32 length — then that many bytes.
/// Frames arrive split across and joined within network chunks, so bytes are buffered until a
/// whole frame is there.
public struct LogDemultiplexer: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Feeds one chunk; answers the payloads of every frame it completed, in order.
    public mutating func feed(_ chunk: some Collection<UInt8>) -> [(stream: LogStream, payload: ArraySlice<UInt8>)] {
        pending.append(contentsOf: chunk)
        var frames: [(LogStream, ArraySlice<UInt8>)] = []
        var start = 0
        while pending.count - start >= 8 {
            let length = pending[start + 4..<start + 8].reduce(0) { $0 << 8 | Int($1) }
            guard pending.count - start - 8 >= length else { break }
            frames.append((LogStream(rawValue: pending[start]) ?? .stdout, pending[start + 8..<start + 8 + length]))
            start += 8 + length
        }
        // Slices of the old buffer stay valid: arrays are values, this makes a new one.
        if start > 0 { pending.removeFirst(start) }
        return frames
    }

    /// Bytes of an unfinished frame (none once a stream ended cleanly).
    public var leftover: Int { pending.count }
}

/// Splits a streamed body into newline-separated JSON documents (stats, pull progress).
struct JSONLines: AsyncSequence {
    typealias Element = Data
    let body: HTTPClientResponse.Body

    init(_ body: HTTPClientResponse.Body) {
        self.body = body
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPClientResponse.Body.AsyncIterator
        var buffer: [UInt8] = []
        var finished = false

        mutating func next() async throws -> Data? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Data(buffer[..<newline])
                    buffer.removeFirst(newline + 1)
                    if line.isEmpty { continue }
                    return line
                }
                if finished {
                    guard !buffer.isEmpty else { return nil }
                    defer { buffer.removeAll() }
                    return Data(buffer)
                }
                if let chunk = try await chunks.next() {
                    buffer.append(contentsOf: chunk.readableBytesView)
                } else {
                    finished = true
                }
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator()) }
}

extension DockerEngine {
    /// The container's combined output from its start, then live until it stops.
    public func logs(of container: String) async throws -> HTTPClientResponse.Body {
        try await stream(
            .GET, "/containers/\(container)/logs", query: ["follow": "true", "stdout": "true", "stderr": "true"])
    }

    /// One stats document per second while the container runs (`/containers/{id}/stats`).
    func stats(of container: String) async throws -> JSONLines {
        JSONLines(try await stream(.GET, "/containers/\(container)/stats", query: ["stream": "true"]))
    }
}
