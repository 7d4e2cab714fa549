import Forwarding
import Foundation
import Glibc
import Logging
import MLExClient
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Platform
import Synchronization

/// `mlex sessions attach`: this terminal joined to a session's shell over its WebSocket
/// (`<gateway>/endpoints/<job>/terminal`, terminado's messages), as `docker attach` joins a
/// container. Typed bytes go out as `stdin`, `stdout` is written as it comes; the window's size
/// is sent at the start and on each SIGWINCH.
struct TerminalAttachment {
    enum Ending: Equatable {
        /// The shell exited (or the server closed the socket).
        case ended
        /// This side left; the session keeps running.
        case detached
    }

    /// How long the handshake is retried while the session's server starts (502/503 until it listens).
    static let startupWait = Duration.seconds(20)
    /// With stdin a pipe: after its end, how long the output must stay quiet before detaching.
    static let quietAfterInput = Duration.seconds(2)

    let url: String
    let token: String
    /// Stdin is a terminal: raw mode, the detach keys, the window's size.
    let interactive: Bool

    /// Opens the socket, attaches until the shell exits or this side detaches, and leaves the
    /// terminal as it found it, whatever ends it (an error, SIGINT, SIGTERM, SIGHUP).
    func run() async throws -> Ending {
        let socket = try await open()
        let terminal = LocalTerminal()
        if interactive { try terminal.enterRawMode() }
        defer { terminal.restore() }
        let (signals, signalled) = AsyncStream<Int32>.makeStream()
        let sources = LocalTerminal.handle([SIGWINCH, SIGINT, SIGTERM, SIGHUP]) { number in
            if number == SIGWINCH {
                signalled.yield(number)
                return
            }
            terminal.restore()
            Console.note(
                "\nmlex: detached (\(number == SIGINT ? "interrupted" : "terminated")); the session keeps running")
            exit(128 + number)
        }
        defer { for source in sources { source.cancel() } }
        let output = OutputClock()

        return try await socket.executeThenClose { inbound, outbound in
            let send: @Sendable (TerminalMessage) async throws -> Void = { message in
                try await outbound.write(
                    WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: message.text))
                )
            }
            if let size = LocalTerminal.windowSize() {
                try await send(.setSize(rows: size.rows, columns: size.columns))
            }
            return try await withThrowingTaskGroup(of: Ending.self) { group in
                group.addTask {
                    try await receive(inbound, answering: outbound, printed: output.tick)
                }
                group.addTask { try await typeInput(send: send, output: output) }
                group.addTask {
                    for await _ in signals {
                        if let size = LocalTerminal.windowSize() {
                            try await send(.setSize(rows: size.rows, columns: size.columns))
                        }
                    }
                    throw CancellationError()
                }
                let ending = try await group.next() ?? .ended
                group.cancelAll()
                signalled.finish()
                try? await socket.channel.close()
                return ending
            }
        }
    }

    /// The session's socket, waiting while its server starts.
    func open() async throws -> WebSocketRelay.Socket {
        let headers = HTTPHeaders([("Authorization", "Bearer \(token)"), ("User-Agent", "mlex")])
        let upstream = HTTPForwarder.Upstream(url: url, description: url, field: "url")
        let logger = Logger(label: "mlex.terminal", factory: { _ in SwiftLogNoOpLogHandler() })
        let deadline = ContinuousClock.now + Self.startupWait
        while true {
            let status: Int
            do {
                switch try await WebSocketRelay.connect(to: upstream, headers: headers, logger: logger) {
                case .accepted(let socket, _): return socket
                case .refused(let answer): status = answer.status.code
                }
            } catch {
                // The relay's 502 says what went wrong in its message (a refused connection, a
                // certificate that did not verify); its whole description is a dump.
                throw ClientError.unreachable(url: url, reason: (error as? APIError)?.message ?? "\(error)")
            }
            guard [502, 503].contains(status), ContinuousClock.now < deadline else {
                throw Self.refusal(status)
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// A refused handshake as the error the command reports.
    static func refusal(_ status: Int) -> ClientError {
        switch status {
        case 401: .notLoggedIn("the gateway did not take the login: run `mlex login` (or set MLEX_TOKEN)")
        case 403, 404:
            .api(
                APIFailure(status: status, code: "not_found", message: "no session there that you can use", field: nil))
        default:
            .api(
                APIFailure(
                    status: status, code: "http_\(status)",
                    message: "the session's terminal answered \(status) (is it still running? mlex sessions ls)",
                    field: nil))
        }
    }

    /// Server → here: `stdout` to stdout until `disconnect` or the socket's close.
    private func receive(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        answering outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
        printed: @Sendable () -> Void
    ) async throws -> Ending {
        var message = ByteBuffer()
        for try await frame in inbound {
            switch frame.opcode {
            case .text, .continuation:
                var data = frame.unmaskedData
                message.writeBuffer(&data)
                guard frame.fin else { continue }
                defer { message.clear() }
                switch TerminalMessage(text: String(buffer: message)) {
                case .stdout(let text)?:
                    Console.write(text, to: STDOUT_FILENO)
                    printed()
                case .disconnect?: return .ended
                default: continue
                }
            case .ping:
                try await outbound.write(
                    WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
            case .connectionClose: return .ended
            default: continue
            }
        }
        return .ended
    }

    /// Here → server: stdin as `stdin` messages. A terminal detaches with Ctrl-] q; a pipe's end
    /// detaches once the output has been quiet for a moment (the commands it sent have answered).
    private func typeInput(
        send: @Sendable (TerminalMessage) async throws -> Void, output: OutputClock
    ) async throws -> Ending {
        var text = UTF8Chunker()
        var keys = DetachKeys()
        for await read in LocalTerminal.input() {
            guard var bytes = read else { break }
            var detach = false
            if interactive { (bytes, detach) = keys.filter(bytes) }
            let typed = text.text(bytes)
            if !typed.isEmpty { try await send(.stdin(typed)) }
            if detach { return .detached }
        }
        let rest = text.flush()
        if !rest.isEmpty { try await send(.stdin(rest)) }
        while output.quietFor < Self.quietAfterInput {
            try await Task.sleep(for: .milliseconds(200))
        }
        return .detached
    }
}

/// When the session last printed something.
final class OutputClock: Sendable {
    private let last = Mutex(ContinuousClock.now)

    func tick() { last.withLock { $0 = .now } }

    var quietFor: Duration { ContinuousClock.now - last.withLock { $0 } }
}
