import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Platform
import Testing

@testable import Forwarding

/// `WebSocketRelay.connect` to `https://` and `wss://` upstreams, against a TLS WebSocket echo
/// server in this process whose certificate a throwaway CA (made with `openssl`) signed.
@Suite("WebSocketRelay over TLS")
struct WebSocketRelayTLSTests {
    let logger = Logger(label: "test.websocket-relay-tls", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("https:// with the CA trusted: the handshake carries the authority as Host, and a text frame echoes")
    func echoesOverTLS() async throws {
        try await TLSEchoServer.with { server in
            let upstream = HTTPForwarder.Upstream(
                url: "https://localhost:\(server.port)/path?x=1", description: "the test server", field: "url")
            let socket = try await Self.accepted(
                WebSocketRelay.connect(to: upstream, headers: [:], logger: logger, tls: server.clientConfiguration))
            #expect(try await Self.echo("hello over TLS", socket) == "hello over TLS")
            #expect(server.requests.withLockedValue { $0 } == ["localhost:\(server.port) /path?x=1"])
        }
    }

    @Test("wss:// to an IP address: no SNI, the certificate's IP address is what is checked")
    func echoesToAnIPAddress() async throws {
        try await TLSEchoServer.with { server in
            let upstream = HTTPForwarder.Upstream(
                url: "wss://127.0.0.1:\(server.port)/", description: "the test server", field: "url")
            let socket = try await Self.accepted(
                WebSocketRelay.connect(to: upstream, headers: [:], logger: logger, tls: server.clientConfiguration))
            #expect(try await Self.echo("by address", socket) == "by address")
        }
    }

    @Test("the system's trust roots do not know the test CA: 502 naming the upstream, no socket")
    func untrustedCertificateIsA502() async throws {
        try await TLSEchoServer.with { server in
            let upstream = HTTPForwarder.Upstream(
                url: "https://localhost:\(server.port)/path", description: "the gateway at https://localhost",
                field: "url")
            let error = await #expect(throws: APIError.self) {
                try await WebSocketRelay.connect(to: upstream, headers: [:], logger: logger)
            }
            #expect(error?.status == .badGateway)
            #expect(error?.field == "url")
            #expect(error?.message.hasPrefix("the gateway at https://localhost did not answer") == true)
            #expect(error?.message.contains("certificate did not verify") == true)
            #expect(server.requests.withLockedValue { $0 }.isEmpty)
        }
    }

    @Test("plain http:// to the TLS port: 502 naming the upstream")
    func plainHTTPToTheTLSPortIsA502() async throws {
        try await TLSEchoServer.with { server in
            let upstream = HTTPForwarder.Upstream(
                url: "http://localhost:\(server.port)/path", description: "the test server", field: "endpoint")
            let error = await #expect(throws: APIError.self) {
                try await WebSocketRelay.connect(
                    to: upstream, headers: [:], logger: logger, tls: server.clientConfiguration)
            }
            #expect(error?.status == .badGateway)
            #expect(error?.field == "endpoint")
            #expect(error?.message == "the test server did not answer: closed without answering the handshake")
        }
    }

    @Test("URLs: TLS schemes, default ports, the Host field, SNI only for a name")
    func targets() throws {
        let https = try WebSocketRelay.Target(url: "https://gw.example.com/endpoints/j/terminal?x=1")
        #expect(https.address == .tcp(host: "gw.example.com", port: 443))
        #expect(https.tls && https.serverName == "gw.example.com")
        #expect(https.host == "gw.example.com" && https.path == "/endpoints/j/terminal?x=1")

        let wss = try WebSocketRelay.Target(url: "wss://10.0.0.5:8443")
        #expect(wss.address == .tcp(host: "10.0.0.5", port: 8443))
        #expect(wss.tls && wss.serverName == nil && wss.host == "10.0.0.5:8443" && wss.path == "/")

        let v6 = try WebSocketRelay.Target(url: "https://[::1]:9443/x")
        #expect(v6.address == .tcp(host: "::1", port: 9443) && v6.serverName == nil && v6.host == "[::1]:9443")

        let plain = try WebSocketRelay.Target(url: "http://localhost/x")
        #expect(plain.address == .tcp(host: "localhost", port: 80) && !plain.tls && plain.serverName == nil)
        #expect(try WebSocketRelay.Target(url: "ws://h:81/").address == .tcp(host: "h", port: 81))
        #expect(throws: (any Error).self) { try WebSocketRelay.Target(url: "ftp://h/") }
    }

    @Test("one TLS context per configuration")
    func contextIsBuiltOnce() throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .noHostnameVerification
        let first = try WebSocketRelay.tlsContext(configuration)
        #expect(try WebSocketRelay.tlsContext(configuration) === first)
        #expect(try WebSocketRelay.tlsContext(.makeClientConfiguration()) !== first)
    }

    static func accepted(_ handshake: WebSocketRelay.Handshake) throws -> WebSocketRelay.Socket {
        guard case .accepted(let socket, _) = handshake else {
            Issue.record("the upstream refused the handshake: \(handshake)")
            throw CancellationError()
        }
        return socket
    }

    /// Sends `text` as a text frame (masked, as a client must) and reads the first frame back.
    static func echo(_ text: String, _ socket: WebSocketRelay.Socket) async throws -> String? {
        try await socket.executeThenClose { inbound, outbound in
            try await outbound.write(
                WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
            for try await frame in inbound where frame.opcode == .text {
                return String(buffer: frame.unmaskedData)
            }
            return nil
        }
    }
}

/// A WebSocket echo server behind TLS on a loopback port, its certificate (for `localhost` and
/// 127.0.0.1) signed by a CA made for it in a temporary directory.
struct TLSEchoServer {
    let port: Int
    /// What a client must trust: the CA's certificate, nothing else.
    let clientConfiguration: TLSConfiguration
    /// Each upgraded handshake's `Host` field and request target.
    let requests: NIOLockedValueBox<[String]>

    static func with(_ body: (TLSEchoServer) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wss-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try makeCertificates(in: folder)

        let server = try TLSConfiguration.makeServerConfiguration(
            certificateChain: NIOSSLCertificate.fromPEMFile(folder.appendingPathComponent("server.pem").path)
                .map { .certificate($0) },
            privateKey: .privateKey(
                try NIOSSLPrivateKey(file: folder.appendingPathComponent("server.key").path, format: .pem))
        )
        let context = try NIOSSLContext(configuration: server)
        var client = TLSConfiguration.makeClientConfiguration()
        client.trustRoots = .certificates(
            try NIOSSLCertificate.fromPEMFile(folder.appendingPathComponent("ca.pem").path))

        let requests = NIOLockedValueBox<[String]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: 1 << 20,
                        shouldUpgrade: { channel, head in
                            requests.withLockedValue {
                                $0.append("\(head.headers.first(name: "Host") ?? "-") \(head.uri)")
                            }
                            return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                        },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(EchoHandler())
                            }
                        })
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        do {
            try await body(TLSEchoServer(port: port, clientConfiguration: client, requests: requests))
        } catch {
            try? await channel.close()
            throw error
        }
        try await channel.close()
    }

    /// `ca.pem`, and `server.pem`/`server.key` for `localhost` and 127.0.0.1 signed by it.
    static func makeCertificates(in folder: URL) throws {
        try Data(
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".utf8
        )
        .write(to: folder.appendingPathComponent("server.ext"))
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(
            ["req", "-x509"] + curve + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=MLEx test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            ], in: folder)
        try openssl(
            ["req"] + curve + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], in: folder)
        try openssl(
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "1", "-extfile", "server.ext",
            ], in: folder)
    }

    static func openssl(_ arguments: [String], in folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
    }
}

/// Sends each data frame back as it came, answers pings, and answers a close with a close.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.unmaskedData)),
                promise: nil)
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(close), promise: nil)
            context.close(promise: nil)
        default:
            break
        }
    }
}
