import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

/// One WebSocket handshake a server is deciding on. The server runs the request through the
/// routes given to `PlatformApplication.build(webSockets:)` with this as `current`; a route that
/// takes the socket calls `accept` (once it has checked the caller and its own upstream took the
/// socket) and answers 101, anything else answers as HTTP would and the client gets that answer.
public final class WebSocketUpgrade: Sendable {
    /// What runs on the socket once the client has its 101: the frames both ways, unmasked by the
    /// decoder and sent unmasked, as a server sends them.
    public typealias Handler = @Sendable (NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async -> Void

    /// Set while a WebSocket route answers a handshake; nil for every plain HTTP request.
    @TaskLocal public static var current: WebSocketUpgrade?

    private struct State {
        var claimed = false
        var handler: Handler?
        var abandon: (@Sendable () async -> Void)?
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    /// Takes the socket: `handler` runs once the client has its 101. `abandon` runs instead when
    /// the 101 never reaches the client (it went away), to close what the route opened for it.
    public func accept(abandon: @escaping @Sendable () async -> Void, _ handler: @escaping Handler) {
        state.withLockedValue {
            $0.handler = handler
            $0.abandon = abandon
        }
    }

    /// A WebSocket route matched: whatever it answers goes to the client (without it, the
    /// request goes on to the HTTP routes as if no upgrade had been asked for).
    func claim() { state.withLockedValue { $0.claimed = true } }

    var claimed: Bool { state.withLockedValue { $0.claimed } }

    var isAccepted: Bool { state.withLockedValue { $0.handler != nil } }

    /// The handler, once: the connection runs it.
    func takeHandler() -> Handler? {
        state.withLockedValue { state in
            defer { (state.handler, state.abandon) = (nil, nil) }
            return state.handler
        }
    }

    /// The socket was accepted but the client never got it: closes the route's upstream.
    func abandonIfAccepted() async {
        let abandon = state.withLockedValue { state in
            defer { (state.handler, state.abandon) = (nil, nil) }
            return state.abandon
        }
        await abandon?()
    }

    /// Whether `fields` ask to upgrade to a WebSocket (RFC 6455 §4.1).
    public static func isRequested(_ fields: HTTPFields) -> Bool {
        let upgrade = fields[values: .upgrade].joined(separator: ",").lowercased()
        return upgrade.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "websocket" }
    }
}

/// The routes that may take a WebSocket, given to `PlatformApplication.build(webSockets:)`: GETs
/// on paths the HTTP routes serve too, answered only for handshakes. Each is documented as any
/// route is; its handler either calls `WebSocketUpgrade.current!.accept` and answers 101, or
/// answers (or throws) as the HTTP route would.
public struct WebSocketRoutes<Context: PlatformRequestContext> {
    let api: APIBuilder<Context>

    public func get(
        _ path: String, _ doc: OperationDoc,
        use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) {
        api.get(path, doc) { request, context in
            WebSocketUpgrade.current?.claim()
            return try await handler(request, context)
        }
    }
}
