import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// HTTP/1.1 that also takes WebSocket handshakes, for servers built with
/// `PlatformApplication.build(webSockets:)`.
///
/// A handshake is answered by the WebSocket routes before anything is sent: a route that took
/// the socket (`WebSocketUpgrade.accept`) gets 101 and the frames; a route that refused it
/// (401, 404, 503, or its upstream's own refusal) has that answer sent as it is, and the
/// connection closes. A handshake no WebSocket route matched goes to the HTTP routes as if no
/// upgrade had been asked for (here, since NIO's upgrader keeps an upgrade request from the
/// HTTP pipeline once it has read it). hummingbird-websocket's channel answers every refused
/// upgrade with a bare 400, which would hide the status a client needs, hence this one, on
/// NIO's own upgrader as hummingbird-websocket's is.
struct WebSocketUpgradableHTTP1Channel<Context: PlatformRequestContext>: ServerChildChannel, HTTPChannelHandler {
    /// The largest frame taken from a peer; a larger message arrives in several frames.
    static var maxFrameSize: Int { 1 << 24 }

    enum Negotiated: Sendable {
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    /// The handshake's decision, per connection: the request, the upgrade the routes saw and
    /// what they answered.
    final class Decision: Sendable {
        typealias Decided = (request: Request?, upgrade: WebSocketUpgrade, response: Response)
        private let value = NIOLockedValueBox<Decided?>(nil)
        private let head = NIOLockedValueBox<HTTPRequestHead?>(nil)
        func set(_ decided: Decided) { value.withLockedValue { $0 = decided } }
        var decided: Decided? { value.withLockedValue { $0 } }
        var upgrade: WebSocketUpgrade? { decided?.upgrade }
        /// The connection's first request, when it asked to upgrade (to anything).
        var upgradeRequest: HTTPRequestHead? { head.withLockedValue { $0 } }
        func saw(_ first: HTTPRequestHead) {
            if first.headers.contains(name: "upgrade") { head.withLockedValue { $0 = first } }
        }
    }

    /// Keeps a connection's first request head for `Decision`: NIO's upgrader consumes the head
    /// of a request that asks to upgrade, even one no upgrader takes (`Upgrade: h2c`, a
    /// handshake without its key), and the HTTP routes would never see it.
    final class FirstHead: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let decision: Decision

        init(_ decision: Decision) { self.decision = decision }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // Kept before the upgrader reads it: it may decide, and the connection go on, at once.
            guard case .head(let head) = Self.unwrapInboundIn(data) else { return context.fireChannelRead(data) }
            decision.saw(head)
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }

        /// A first request that cannot be parsed (a NUL in a field, a malformed line) reaches no
        /// upgrader and no HTTP route: answered here as Hummingbird answers a later one, 400 and
        /// closed. Unanswered, the client waited on an open connection until its own timeout.
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            guard error is HTTPParserError else { return context.fireErrorCaught(error) }
            let head = HTTPResponseHead(
                version: .http1_1, status: .badRequest, headers: ["Connection": "close", "Content-Length": "0"])
            context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let decision: Decision
        let channel: any Channel
    }

    /// The HTTP routes, a handshake on a kept-alive connection redirected (`redirectingLateUpgrades`).
    let responder: HTTPChannelHandler.Responder
    /// The HTTP routes as they are, for a first request that asked to upgrade and was not taken.
    let plainResponder: HTTPChannelHandler.Responder
    let webSocketResponder: RouterResponder<Context>

    static func builder(webSocketResponder: RouterResponder<Context>) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            WebSocketUpgradableHTTP1Channel(
                responder: Self.redirectingLateUpgrades(responder), plainResponder: responder,
                webSocketResponder: webSocketResponder)
        }
    }

    /// NIO's upgrader reads only a connection's first request: a handshake later on a kept-alive
    /// connection is sent to the same URI again with the connection closed, so that it comes
    /// back first on a new one (as hummingbird-websocket does).
    static func redirectingLateUpgrades(
        _ responder: @escaping HTTPChannelHandler.Responder
    ) -> HTTPChannelHandler.Responder {
        { request, writer, channel in
            guard WebSocketUpgrade.isRequested(request.headers) else {
                return try await responder(request, writer, channel)
            }
            var location = request.uri.path
            if let query = request.uri.query { location += "?\(query)" }
            let head = HTTPResponse(
                status: .temporaryRedirect,
                headerFields: [.location: location, .connection: "close", .contentLength: "0"])
            try await writer.writeHead(head).finish(nil)
            throw LateUpgradeRedirected()
        }
    }

    /// Ends the connection after the redirect.
    struct LateUpgradeRedirected: Error {}

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let decision = Decision()
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: Self.maxFrameSize,
                shouldUpgrade: { channel, head in
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let decided = await decide(head, channel: channel, logger: logger)
                        decision.set(decided)
                        let (upgrade, response) = (decided.upgrade, decided.response)
                        guard upgrade.isAccepted, response.status == .switchingProtocols else { return nil }
                        // The route's own fields (the subprotocol, a refreshed session's cookies);
                        // the upgrader adds Upgrade, Connection and Sec-WebSocket-Accept.
                        var fields = response.headers
                        for name in [HTTPField.Name.contentLength, .transferEncoding, .connection, .upgrade] {
                            fields[name] = nil
                        }
                        return HTTPHeaders(fields)
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        .webSocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(
                upgradeConfiguration: .init(
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                            try channel.pipeline.syncOperations.addHandler(
                                HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                            return .http(
                                try NIOAsyncChannel(
                                    wrappingChannelSynchronously: channel,
                                    configuration: .init(isOutboundHalfClosureEnabled: true)))
                        }
                    }
                )
            )
            // As Hummingbird's HTTP1Channel: NIOAsyncChannel pipelines, Hummingbird handles errors
            // and HTTPTypes validates fields.
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let limits = HTTP1Channel.Configuration().httpDecoder
            configuration.decoderConfiguration.maxHeaderFieldSize = limits.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = limits.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = limits.maxHeaderFieldCount
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                configuration: configuration)
            let upgradeHandler = try channel.pipeline.syncOperations.handler(
                type: NIOTypedHTTPServerUpgradeHandler<Negotiated>.self)
            try channel.pipeline.syncOperations.addHandler(FirstHead(decision), position: .before(upgradeHandler))
            return Value(negotiated: negotiated, decision: decision, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        let negotiated: Negotiated
        do {
            negotiated = try await value.negotiated.get()
        } catch {
            // The client went away before the handshake was answered, or its request was not
            // HTTP (FirstHead answered it): either way the connection is done.
            try? await value.channel.close()
            await value.decision.upgrade?.abandonIfAccepted()
            logger.debug("WebSocket handshake not completed", metadata: ["error": "\(error)"])
            return
        }
        switch negotiated {
        case .webSocket(let socket):
            if let handler = value.decision.upgrade?.takeHandler() {
                await handler(socket)
            } else {
                try? await socket.channel.close()
            }
        case .http(let http):
            guard let decided = value.decision.decided else {
                if let head = value.decision.upgradeRequest,
                    let fields = try? HTTPRequest(head, secure: false, splitCookie: false)
                {
                    // An upgrade no upgrader took (not a WebSocket, or not a valid handshake): HTTP.
                    return await answer(Request(head: fields, body: .init(buffer: .init())), on: http, logger: logger)
                }
                // No upgrade was asked for: plain HTTP.
                return await handleHTTP(asyncChannel: http, logger: logger)
            }
            await decided.upgrade.abandonIfAccepted()
            if decided.upgrade.claimed {
                await Self.write(decided.response, to: http, logger: logger)
            } else if let request = decided.request {
                await answer(request, on: http, logger: logger)
            } else {
                try? await http.channel.close()
            }
        }
    }

    /// Runs the handshake's request through the WebSocket routes, with `WebSocketUpgrade.current` set.
    private func decide(
        _ head: HTTPRequestHead, channel: any Channel, logger: Logger
    ) async -> Decision.Decided {
        let upgrade = WebSocketUpgrade()
        guard let fields = try? HTTPRequest(head, secure: false, splitCookie: false) else {
            return (nil, upgrade, Response(status: .badRequest))
        }
        do {
            let context = Context(source: .init(channel: channel, logger: logger))
            let response = try await WebSocketUpgrade.$current.withValue(upgrade) {
                try await webSocketResponder.respond(
                    to: Request(head: fields, body: .init(buffer: .init())), context: context)
            }
            return (Request(head: fields, body: .init(buffer: .init())), upgrade, response)
        } catch {
            // Only a request no route matched gets here (ErrorMiddleware renders the routes' errors):
            // unclaimed, it goes on to the HTTP routes.
            return (Request(head: fields, body: .init(buffer: .init())), upgrade, Response(status: .notFound))
        }
    }

    /// A handshake no WebSocket route took, answered by the HTTP routes; then the connection closes.
    private func answer(
        _ request: Request, on http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger
    ) async {
        do {
            try await http.executeThenClose { _, outbound in
                try await plainResponder(request, ResponseWriter(outbound: outbound), http.channel)
            }
        } catch {
            logger.debug("WebSocket handshake answered as HTTP: not sent", metadata: ["error": "\(error)"])
        }
    }

    /// A refused handshake's answer, and the connection closes (the client asked for a socket
    /// on it, not for more requests).
    private static func write(
        _ refusal: Response, to http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger
    ) async {
        do {
            try await http.executeThenClose { _, outbound in
                var response = refusal
                response.headers[.connection] = "close"
                if let length = response.body.contentLength { response.headers[.contentLength] = String(length) }
                let writer = ResponseWriter(outbound: outbound)
                let bodyWriter = try await writer.writeHead(response.head)
                try await response.body.write(bodyWriter)
            }
        } catch {
            logger.debug("refused WebSocket handshake: answer not sent", metadata: ["error": "\(error)"])
        }
    }
}
