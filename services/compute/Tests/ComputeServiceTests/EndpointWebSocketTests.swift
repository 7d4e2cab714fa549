import Foundation
import NIOCore
import NIOWebSocket
import Platform
import PlatformTesting
import Testing

/// WebSockets to a job's endpoint (docs/endpoints.md): the handshake and the frames pass
/// gateway → compute → agent → the job's socket, for its project's members only; the job's
/// server sees its path, its subprotocol and who is calling, never their token; the socket
/// closes when the job ends.
@Suite("Compute: job endpoints over WebSockets", .serialized, .timeLimit(.minutes(4)))
struct EndpointWebSocketTests {
    static let queue = "endpoint-websockets"

    /// A WebSocket echo server on the job's socket, RFC 6455 by hand: a text frame comes back
    /// prefixed with the path, the X-Mlex-User, and whether a token or the endpoint key reached
    /// the job; binary frames come back as they are; `/refuse…` refuses the handshake with 403.
    static let server = #"""
        import base64, hashlib, os, socketserver, struct
        GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        def read_exact(sock, n):
            data = bytearray()
            while len(data) < n:
                chunk = sock.recv(min(n - len(data), 1 << 16))
                if not chunk:
                    raise EOFError
                data += chunk
            return bytes(data)
        def read_frame(sock):
            b1, b2 = read_exact(sock, 2)
            length = b2 & 0x7F
            if length == 126:
                length = struct.unpack(">H", read_exact(sock, 2))[0]
            elif length == 127:
                length = struct.unpack(">Q", read_exact(sock, 8))[0]
            mask = read_exact(sock, 4) if b2 & 0x80 else b"\0\0\0\0"
            data = read_exact(sock, length)
            key = (mask * (length // 4 + 1))[:length]
            plain = (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")
            return b1 & 0x0F, plain
        def send_frame(sock, opcode, data):
            n = len(data)
            if n < 126:
                head = struct.pack(">BB", 0x80 | opcode, n)
            elif n < 65536:
                head = struct.pack(">BBH", 0x80 | opcode, 126, n)
            else:
                head = struct.pack(">BBQ", 0x80 | opcode, 127, n)
            sock.sendall(head + data)
        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                sock, raw = self.request, b""
                while b"\r\n\r\n" not in raw:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return
                    raw += chunk
                lines = raw.split(b"\r\n\r\n")[0].decode().split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                if path.startswith("/refuse"):
                    sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrefused")
                    return
                digest = hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest()
                reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                reply += "Sec-WebSocket-Accept: " + base64.b64encode(digest).decode() + "\r\n"
                if "sec-websocket-protocol" in headers:
                    reply += "Sec-WebSocket-Protocol: " + headers["sec-websocket-protocol"].split(",")[0].strip() + "\r\n"
                sock.sendall((reply + "\r\n").encode())
                prefix = "%s|%s|auth=%s|key=%s|" % (
                    path, headers.get("x-mlex-user"), "authorization" in headers, "x-mlex-endpoint-key" in headers)
                while True:
                    try:
                        opcode, data = read_frame(sock)
                    except EOFError:
                        return
                    if opcode == 1:
                        send_frame(sock, 1, prefix.encode() + data)
                    elif opcode == 2:
                        send_frame(sock, 2, data)
                    elif opcode == 9:
                        send_frame(sock, 10, data)
                    elif opcode == 8:
                        send_frame(sock, 8, data[:2])
                        return
        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True
        print("serving", flush=True)
        Server(os.environ["MLEX_ENDPOINT_SOCKET"], Handler).serve_forever()
        """#

    @Test("a WebSocket reaches a job's endpoint through the gateway, refuses others, and closes when the job ends")
    func relaysThroughTheGateway() async throws {
        let cluster = try ComputeCluster.shared()
        let (gateway, agent, owner, outsider) = try await cluster.servingSetup(queue: Self.queue)
        defer { kill(agent, SIGTERM) }

        let jobID = try await cluster.submit(
            pythonJob(owner.project, Self.server, ["queue": .string(Self.queue), "endpoint": ["kind": "http"]]),
            token: owner.token)
        _ = try await cluster.waitFor(jobID, ["running"], token: owner.token)
        let base = gateway + "/endpoints/\(jobID)"
        let subprotocols = [("Sec-WebSocket-Protocol", "echo.v1, other")]

        // The server needs a moment after the job is running to bind its socket (502 until then).
        var handshake = try await openWebSocket(base + "/ws/chat?room=1", token: owner.token, fields: subprotocols)
        for _ in 0..<100 {
            guard case .refused = handshake else { break }
            try await Task.sleep(for: .milliseconds(200))
            handshake = try await openWebSocket(base + "/ws/chat?room=1", token: owner.token, fields: subprotocols)
        }
        guard case .accepted(let socket, let fields) = handshake else {
            if case .refused(let answer) = handshake { Issue.record("refused: \(try await statusAndText(of: answer))") }
            return
        }
        #expect(fields.first(name: "Sec-WebSocket-Protocol") == "echo.v1")

        try await socket.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            try await outbound.write(clientFrame(.text, ByteBuffer(string: "hello")))
            let echo = try #require(try await frames.next())
            #expect(echo.opcode == .text)
            #expect(String(buffer: echo.unmaskedData) == "/ws/chat?room=1|\(owner.id)|auth=False|key=False|hello")

            var large = ByteBuffer()
            for index in 0..<(200 * 1024) { large.writeInteger(UInt8(truncatingIfNeeded: index &* 31 &+ 7)) }
            try await outbound.write(clientFrame(.binary, large))
            let binary = try #require(try await frames.next())
            #expect(
                binary.opcode == .binary && binary.unmaskedData == large, "\(binary.unmaskedData.readableBytes) bytes")

            // A small frame's round trip through the three hops, measured.
            let rounds = 50
            let clock = ContinuousClock()
            let started = clock.now
            for round in 0..<rounds {
                try await outbound.write(clientFrame(.text, ByteBuffer(string: "r\(round)")))
                let answer = try #require(try await frames.next())
                #expect(String(buffer: answer.unmaskedData).hasSuffix("|r\(round)"))
            }
            print("websocket round trip through gateway, compute and agent: \((clock.now - started) / rounds)")

            // A close from the client reaches the job, whose answer comes back; then the socket ends.
            var code = ByteBuffer()
            code.write(webSocketErrorCode: .normalClosure)
            try await outbound.write(clientFrame(.connectionClose, code))
            let closing = try #require(try await frames.next())
            #expect(closing.opcode == .connectionClose && closeCode(of: closing) == 1000)
            #expect(try await frames.next() == nil)
        }

        // A browser: its session cookie stands for the token, from the gateway's own pages only
        // (a page of another site could otherwise open the socket in its visitor's name).
        let session = ("Cookie", "mlex_access=\(owner.token)")
        let fromPage = try await openWebSocket(base + "/ws", token: nil, fields: [session, ("Origin", gateway)])
        guard case .accepted(let pageSocket, _) = fromPage else {
            if case .refused(let answer) = fromPage { Issue.record("refused: \(try await statusAndText(of: answer))") }
            return
        }
        // Closed without a close frame: the relay tells the job 1001 and the job's handler ends.
        try await pageSocket.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            try await outbound.write(clientFrame(.text, ByteBuffer(string: "from a page")))
            let echo = try #require(try await frames.next())
            #expect(String(buffer: echo.unmaskedData) == "/ws|\(owner.id)|auth=False|key=False|from a page")
        }

        // Refused before any 101, with the status HTTP gets: no token 401, another project's user
        // 404, a job that does not exist 404, the session cookie from another site 403, and the
        // job's server's own refusal as it answered.
        let refusals: [(url: String, token: String?, fields: [(String, String)], status: Int)] = [
            (base + "/ws", nil, [], 401), (base + "/ws", outsider.token, [], 404),
            (gateway + "/endpoints/\(ID.make())/ws", owner.token, [], 404),
            (base + "/ws", nil, [session, ("Origin", "http://elsewhere.example")], 403),
            (base + "/refuse", owner.token, [], 403),
        ]
        for refusal in refusals {
            let answer = try await openWebSocket(refusal.url, token: refusal.token, fields: refusal.fields)
            guard case .refused(let response) = answer else {
                Issue.record("\(refusal.url) (\(refusal.status)) was accepted")
                continue
            }
            let (code, text) = try await statusAndText(of: response)
            #expect(code == refusal.status, "\(refusal.url): \(text)")
            if refusal.url.hasSuffix("/refuse") { #expect(text == "refused") }
        }

        // A job that ends closes its sockets: the client is told 1001, going away.
        guard case .accepted(let second, _) = try await openWebSocket(base + "/ws", token: owner.token) else {
            Issue.record("second socket refused")
            return
        }
        try await second.executeThenClose { inbound, _ in
            #expect(try await cluster.compute("POST", "/v1/jobs/\(jobID)/cancel", token: owner.token).status == 202)
            let started = ContinuousClock.now
            var frames = inbound.makeAsyncIterator()
            let last = try #require(try await frames.next())
            #expect(last.opcode == .connectionClose && closeCode(of: last) == 1001, "\(last)")
            #expect(try await frames.next() == nil)
            print("websocket closed \(ContinuousClock.now - started) after the cancel was asked")
        }
        _ = try await cluster.finished(jobID, token: owner.token)
    }

    @Test("a handshake to a path no WebSocket route serves, and an upgrade to another protocol, are answered as HTTP")
    func otherUpgradesAreHTTP() async throws {
        let cluster = try ComputeCluster.shared()
        let gateway = try cluster.platform.startGateway()
        guard case .refused(let health) = try await openWebSocket(gateway + "/health", token: nil) else {
            Issue.record("/health took a WebSocket")
            return
        }
        #expect(try await statusAndText(of: health).status == 200)

        // NIO's upgrader reads such a request itself; the server must still answer it.
        let url = try #require(URL(string: gateway))
        let script = """
            import http.client, sys
            c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
            c.request("GET", "/health", headers={"Upgrade": "h2c", "Connection": "Upgrade, HTTP2-Settings"})
            print(c.getresponse().status)
            """
        #expect(try Self.python(script, against: url) == "200")

        // A first request that is not HTTP (a NUL in a field) is answered 400 and closed, by the
        // gateway and by compute (both take WebSockets), not left waiting.
        let raw = #"""
            import socket, sys
            s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n")
            answer = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
            print(answer.split(b"\r\n")[0].decode())
            """#
        for server in [try #require(URL(string: gateway)), try #require(URL(string: cluster.computeURL))] {
            #expect(try Self.python(raw, against: server) == "HTTP/1.1 400 Bad Request", "\(server)")
        }
    }

    /// What `script` prints, trimmed, run with the server's host and port as its arguments: a
    /// client that sends what Swift's HTTP clients would not.
    static func python(_ script: String, against server: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, server.host ?? "127.0.0.1", String(server.port ?? 80)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
