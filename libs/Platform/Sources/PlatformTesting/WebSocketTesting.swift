import Forwarding
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// A WebSocket client for suites that test WebSockets through the platform's servers: the
/// relay's own upstream client (libs/Forwarding), which opens the socket or returns the answer
/// that refused it.
public func openWebSocket(
    _ url: String, token: String?, fields: [(String, String)] = []
) async throws -> WebSocketRelay.Handshake {
    var headers = HTTPHeaders(fields)
    if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
    return try await WebSocketRelay.connect(
        to: .init(url: url, description: url, field: "url"), headers: headers,
        logger: Logger(label: "test.websocket"))
}

/// A frame as a client sends it: masked.
public func clientFrame(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketFrame {
    WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
}

/// A close frame's status code, if it has one.
public func closeCode(of frame: WebSocketFrame) -> Int? {
    var data = frame.unmaskedData
    return data.readInteger(as: UInt16.self).map(Int.init)
}

/// The status and body text of a refused handshake's answer.
public func statusAndText(of response: Response) async throws -> (status: Int, text: String) {
    let collector = BodyCollector()
    try await response.body.write(collector)
    return (response.status.code, String(buffer: collector.collected))
}

private final class BodyCollector: ResponseBodyWriter {
    var collected = ByteBuffer()
    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        collected.writeBuffer(&buffer)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
