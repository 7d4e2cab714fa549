import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Platform
import ServiceLifecycle

/// Carries a WebSocket one hop further, for the WebSocket routes of a proxy (the gateway to
/// compute, compute to an agent, an agent to a job's socket).
///
/// The handshake goes upstream before the client is answered: only when the upstream answered
/// 101 does the client get its 101 (with the subprotocol the upstream chose); an upstream's
/// refusal is the client's answer, and one that cannot be reached is 502 as for HTTP. Frames
/// then pass through one by one as they came — text, binary, continuation, ping, pong, close —
/// re-masked on the way to a server: a fragmented message stays fragmented and pings are
/// answered end to end. A close from either side goes to the other, and the connection closes
/// once the closing side's peer has answered it; a side that goes away without a close (a job
/// that ended) makes the other side get 1001 "going away".
public enum WebSocketRelay {
    /// The largest frame taken from an upstream; a larger message arrives in several frames.
    public static let maxFrameSize = 1 << 24
    /// How long an upstream may take to answer the handshake.
    public static let handshakeTimeout = TimeAmount.seconds(30)

    public typealias Socket = NIOAsyncChannel<WebSocketFrame, WebSocketFrame>

    /// What the upstream answered to the handshake.
    public enum Handshake: Sendable {
        /// 101: its socket, and its answer's fields (`Sec-WebSocket-Protocol`).
        case accepted(Socket, HTTPHeaders)
        /// Anything else, for the client as it is.
        case refused(Response)
    }

    /// For a WebSocket route (`WebSocketRoutes`): opens the socket at `upstream` with `headers`
    /// (the client's end-to-end fields as this hop forwards them), and answers 101 once it is
    /// open or the upstream's own answer if it refused. `sockets`, when given, holds the upstream
    /// socket under `group` while it is open, for `OpenSockets.close(group)`.
    public static func forward(
        to upstream: HTTPForwarder.Upstream, headers: HTTPHeaders, logger: Logger,
        sockets: OpenSockets? = nil, group: String = ""
    ) async throws -> Response {
        guard let upgrade = WebSocketUpgrade.current else {
            throw APIError(.badRequest, code: "bad_request", message: "not a WebSocket handshake", field: "Upgrade")
        }
        switch try await connect(to: upstream, headers: headers, logger: logger) {
        case .refused(let response):
            return response
        case .accepted(let socket, let fields):
            let registration = sockets?.add(socket.channel, group: group)
            upgrade.accept(
                abandon: { try? await socket.channel.close() },
                { client in
                    await relay(client: client, upstream: socket, logger: logger)
                    if let registration { sockets?.remove(registration) }
                })
            var answer = HTTPFields()
            if let subprotocol = fields.first(name: "Sec-WebSocket-Protocol") {
                answer[.secWebSocketProtocol] = subprotocol
            }
            return Response(status: .switchingProtocols, headers: answer)
        }
    }

    /// Opens a WebSocket at `upstream.url`: `http://host:port/path?query` (or `ws://`),
    /// `https://host:port/path?query` (or `wss://`; port 443 unless given), or
    /// `http+unix://<percent-encoded socket path>/path?query` as for `HTTPForwarder`.
    /// Over TLS the host name goes as SNI (not an IP address) and the upstream's certificate is
    /// verified as `tls` says: by default against the system's trust roots.
    /// Throws 502 (`upstream.field`) when the upstream cannot be reached, does not answer, or
    /// its certificate does not verify.
    public static func connect(
        to upstream: HTTPForwarder.Upstream, headers: HTTPHeaders, logger: Logger,
        tls: TLSConfiguration = .makeClientConfiguration()
    ) async throws -> Handshake {
        do {
            let target = try Target(url: upstream.url)
            let context = try target.tls ? tlsContext(tls) : nil
            return try await handshake(target, tls: context, headers: headers)
        } catch let error as APIError {
            throw error
        } catch {
            logger.warning(
                "upstream unreachable", metadata: ["upstream": "\(upstream.description)", "error": "\(error)"])
            throw APIError(
                .badGateway, code: "bad_gateway",
                message: "\(upstream.description) did not answer: \(reason(error))",
                field: upstream.field)
        }
    }

    /// What went wrong, for the 502's message; a TLS failure says whether the certificate was to blame.
    static func reason(_ error: any Error) -> String {
        switch error {
        case NIOSSLError.handshakeFailed(let failure) where "\(failure)".contains("CERTIFICATE_VERIFY_FAILED"):
            "its TLS certificate did not verify against the trusted roots (\(failure))"
        case NIOSSLError.handshakeFailed(let failure):
            "the TLS handshake failed (\(failure))"
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            "its TLS certificate is not for that host (\(error))"
        case ChannelError.inappropriateOperationForState:
            // What NIO's upgrade handler says when the connection closes before any answer
            // (a TLS port spoken to in plain HTTP, for one).
            WebSocketRelayError.noAnswer.description
        default:
            HTTPForwarder.reason(error)
        }
    }

    /// The TLS contexts built so far, one per configuration: building one reads its trust roots.
    private static let tlsContexts = NIOLockedValueBox<[TLSKey: NIOSSLContext]>([:])

    /// A configuration as a dictionary key (best effort: at worst a context is built twice).
    private struct TLSKey: Hashable, Sendable {
        var configuration: TLSConfiguration

        static func == (lhs: Self, rhs: Self) -> Bool { lhs.configuration.bestEffortEquals(rhs.configuration) }
        func hash(into hasher: inout Hasher) { configuration.bestEffortHash(into: &hasher) }
    }

    /// The context for `configuration`, built on its first use.
    static func tlsContext(_ configuration: TLSConfiguration) throws -> NIOSSLContext {
        let key = TLSKey(configuration: configuration)
        if let context = tlsContexts.withLockedValue({ $0[key] }) { return context }
        let context = try NIOSSLContext(configuration: configuration)
        tlsContexts.withLockedValue { contexts in
            // A caller making a new configuration for each connection keeps only a few.
            if contexts.count >= 16 { contexts.removeAll() }
            contexts[key] = context
        }
        return context
    }

    /// Passes frames both ways until one side has closed, then closes both. A process that
    /// stops closes its relays (its clients get 1001) rather than wait for them to end.
    public static func relay(client: Socket, upstream: Socket, logger: Logger) async {
        await withGracefulShutdownHandler {
            await relayFrames(client: client, upstream: upstream, logger: logger)
        } onGracefulShutdown: {
            upstream.channel.close(promise: nil)
        }
    }

    private static func relayFrames(client: Socket, upstream: Socket, logger: Logger) async {
        do {
            try await client.executeThenClose { clientFrames, toClient in
                try await upstream.executeThenClose { upstreamFrames, toUpstream in
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await pump(clientFrames, to: toUpstream, masked: true) }
                        group.addTask { await pump(upstreamFrames, to: toClient, masked: false) }
                        // One side is done: close both, which ends the other direction too.
                        await group.next()
                        try? await client.channel.close()
                        try? await upstream.channel.close()
                    }
                }
            }
        } catch {
            logger.debug("WebSocket relay ended", metadata: ["error": "\(error)"])
        }
    }

    /// Frames from `frames` to `writer` until `frames` ends; `masked` on the way to a server.
    /// A side that ended without a close frame leaves the other a 1001.
    private static func pump(
        _ frames: NIOAsyncChannelInboundStream<WebSocketFrame>,
        to writer: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
        masked: Bool
    ) async {
        var closed = false
        do {
            for try await frame in frames {
                try await writer.write(
                    WebSocketFrame(
                        fin: frame.fin, rsv1: frame.rsv1, rsv2: frame.rsv2, rsv3: frame.rsv3, opcode: frame.opcode,
                        maskKey: masked ? .random() : nil, data: frame.unmaskedData,
                        extensionData: frame.unmaskedExtensionData))
                if frame.opcode == .connectionClose {
                    // The other side answers with its own close, which comes back the other way.
                    closed = true
                }
            }
        } catch {}
        if !closed {
            var data = ByteBuffer()
            data.write(webSocketErrorCode: .goingAway)
            data.writeString("the other side of the relay went away")
            try? await writer.write(
                WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: masked ? .random() : nil, data: data))
        }
    }

    /// Where a URL points: a TCP host and port (over TLS or not), or a Unix socket; and the
    /// request target.
    struct Target {
        enum Address: Equatable {
            case tcp(host: String, port: Int)
            case unix(path: String)
        }
        var address: Address
        /// The `Host` field: the URL's authority as given.
        var host: String
        var path: String
        /// Over TLS (`https://`, `wss://`).
        var tls = false
        /// The name sent as SNI and checked against the certificate: the host, unless an IP address.
        var serverName: String?

        init(url: String) throws {
            let (scheme, rest) = try Self.split(url, "://")
            let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = String(rest[..<slash])
            path = String(rest[slash...])
            if !path.hasPrefix("/") { path = "/" + path }
            switch scheme {
            case "http+unix":
                address = .unix(path: authority.removingPercentEncoding ?? authority)
                host = "localhost"
            case "http", "ws", "https", "wss":
                tls = scheme == "https" || scheme == "wss"
                let (name, port) = Self.hostAndPort(authority, defaultPort: tls ? 443 : 80)
                address = .tcp(host: name, port: port)
                host = authority
                if tls && (try? SocketAddress(ipAddress: name, port: port)) == nil { serverName = name }
            default:
                throw WebSocketRelayError.unsupported(url)
            }
        }

        /// `host`, `host:port`, `[v6]` or `[v6]:port`.
        private static func hostAndPort(_ authority: String, defaultPort: Int) -> (String, Int) {
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                let name = String(authority[authority.index(after: authority.startIndex)..<close])
                let rest = authority[authority.index(after: close)...]
                return (name, rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? defaultPort : defaultPort)
            }
            let colon = authority.lastIndex(of: ":")
            let name = colon.map { String(authority[..<$0]) } ?? authority
            let port = colon.flatMap { Int(authority[authority.index(after: $0)...]) } ?? defaultPort
            return (name, port)
        }

        private static func split(_ url: String, _ separator: String) throws -> (String, Substring) {
            guard let range = url.range(of: separator) else { throw WebSocketRelayError.unsupported(url) }
            return (String(url[..<range.lowerBound]), url[range.upperBound...])
        }
    }

    enum Negotiated: Sendable {
        case accepted(Socket, HTTPHeaders)
        case refused(NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>)
    }

    private static func handshake(
        _ target: Target, tls: NIOSSLContext?, headers incoming: HTTPHeaders
    ) async throws -> Handshake {
        // The upstream's handshake is this hop's own: its key and version, and no extensions
        // (frames pass as they are, so none is negotiated end to end).
        var headers = HTTPHeaders()
        let own: Set<String> = [
            "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-accept",
            "content-length", "host",
        ]
        for (name, value) in incoming where !own.contains(name.lowercased()) { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Host", value: target.host)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)

        let serverName = target.serverName
        let opened = NIOLockedValueBox<(any Channel)?>(nil)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<EventLoopFuture<Negotiated>> = { channel in
            opened.withLockedValue { $0 = channel }
            return channel.eventLoop.makeCompletedFuture {
                if let tls {
                    // Verifies the certificate (and that it is the host's) before the handshake's request goes.
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: tls, serverHostname: serverName))
                }
                let upgrader = NIOTypedWebSocketClientUpgrader<Negotiated>(
                    maxFrameSize: maxFrameSize,
                    upgradePipelineHandler: { channel, response in
                        channel.eventLoop.makeCompletedFuture {
                            .accepted(try Socket(wrappingChannelSynchronously: channel), response.headers)
                        }
                    })
                var configuration = NIOUpgradableHTTPClientPipelineConfiguration<Negotiated>(
                    upgradeConfiguration: .init(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                .refused(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                            }
                        }))
                // A server may send its first frame in the same packet as its 101.
                configuration.leftOverBytesStrategy = .forwardBytes
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                    configuration: configuration)
            }
        }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(2))
        let negotiation: EventLoopFuture<Negotiated>
        switch target.address {
        case .tcp(let host, let port):
            negotiation = try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
        case .unix(let path):
            negotiation = try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
        }
        let timeout = negotiation.eventLoop.scheduleTask(in: handshakeTimeout) {
            opened.withLockedValue { $0 }?.close(promise: nil)
        }
        defer { timeout.cancel() }
        switch try await negotiation.get() {
        case .accepted(let socket, let fields):
            return .accepted(socket, fields)
        case .refused(let http):
            return .refused(try await readRefusal(http))
        }
    }

    /// The upstream's non-101 answer, read whole (up to `HTTPForwarder.bufferedBodyBytes`).
    private static func readRefusal(
        _ http: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    ) async throws -> Response {
        try await http.executeThenClose { inbound, _ in
            var head: HTTPResponseHead?
            var body = ByteBuffer()
            loop: for try await part in inbound {
                switch part {
                case .head(let received): head = received
                case .body(var chunk):
                    guard body.readableBytes + chunk.readableBytes <= HTTPForwarder.bufferedBodyBytes else {
                        break loop
                    }
                    body.writeBuffer(&chunk)
                case .end: break loop
                }
            }
            guard let head else { throw WebSocketRelayError.noAnswer }
            let status = HTTPResponse.Status(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase)
            var fields = HopByHop.downstream(head.headers)
            fields[.contentLength] = nil
            return Response(status: status, headers: fields, body: .init(byteBuffer: body))
        }
    }
}

enum WebSocketRelayError: Error, CustomStringConvertible {
    case unsupported(String)
    case noAnswer

    var description: String {
        switch self {
        case .unsupported(let url): "no WebSocket to \(url): only http(s)://, ws(s):// and http+unix:// upstreams"
        case .noAnswer: "closed without answering the handshake"
        }
    }
}

/// The relayed sockets a process holds open, by group (an agent's: by job), so that what ends
/// a group (the job) closes its sockets.
public final class OpenSockets: Sendable {
    public struct Registration: Sendable, Hashable {
        let group: String
        let id: Int
    }

    private struct State {
        var next = 0
        var channels: [Registration: any Channel] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    func add(_ channel: any Channel, group: String) -> Registration {
        state.withLockedValue {
            let registration = Registration(group: group, id: $0.next)
            $0.next += 1
            $0.channels[registration] = channel
            return registration
        }
    }

    func remove(_ registration: Registration) {
        _ = state.withLockedValue { $0.channels.removeValue(forKey: registration) }
    }

    /// Closes every socket of `group`: their clients get 1001.
    public func close(_ group: String) {
        let channels = state.withLockedValue { state in
            let matching = state.channels.filter { $0.key.group == group }
            for key in matching.keys { state.channels[key] = nil }
            return Array(matching.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// How many sockets of `group` are open.
    public func count(_ group: String) -> Int {
        state.withLockedValue { $0.channels.keys.filter { $0.group == group }.count }
    }
}
