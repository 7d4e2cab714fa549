import Foundation
import NIOCore
import NIOWebSocket
import Platform
import PlatformTesting
import Testing

/// Terminal sessions (docs/endpoints.md): a job whose endpoint is a shell, reached over a
/// WebSocket through gateway → compute → agent → the job's socket with terminado's messages. It
/// sees its dataset read-only at /data, has no network, and what it writes to /output is in its
/// run once it ends — by `exit` or by sitting idle.
@Suite("Compute: terminal sessions", .serialized, .timeLimit(.minutes(4)))
struct TerminalSessionTests {
    static let queue = "terminal-sessions"

    @Test(
        "a session's shell reads the mounted dataset, writes /output, has no network; its file is in the run after exit"
    )
    func shellThroughTheGateway() async throws {
        let cluster = try ComputeCluster.shared()
        let (gateway, agent, owner, outsider) = try await cluster.servingSetup(queue: Self.queue)
        defer { kill(agent, SIGTERM) }
        let version = try await cluster.finalDatasetVersion(
            owner.project, files: ["rows.csv": "a\nb\nc\n"], token: owner.token)

        let submitted = ContinuousClock.now
        let jobID = try await cluster.submit(
            [
                "projectId": .string(owner.project), "name": "explore", "queue": .string(Self.queue),
                "inputs": [.string(version)], "resources": ["cpus": 0.5, "memoryMB": 256],
                "endpoint": ["kind": "terminal", "idleSeconds": 600],
            ], token: owner.token)
        let running = try await cluster.waitFor(jobID, ["running"], token: owner.token)
        #expect(running["endpointPath"] == .string("/endpoints/\(jobID)/"))
        let url = gateway + "/endpoints/\(jobID)/terminal"

        let terminal = try await Self.open(url, token: owner.token)
        let port = URL(string: cluster.computeURL)?.port ?? 0
        try await terminal.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            #expect(try await Self.message(&frames) == ["setup", [:]])
            print("a terminal session's shell answered \(ContinuousClock.now - submitted) after it was submitted")
            try await outbound.write(Self.send(["set_size", 30, 100]))
            let probe = "import socket; socket.create_connection(('127.0.0.1', \(port)), timeout=2)"
            try await outbound.write(
                Self.send([
                    "stdin",
                    .string(
                        "stty size; wc -l < /data/rows.csv > /output/lines.txt; touch /data/x 2>/dev/null || echo ro-data;"
                            + " python3 -c \"\(probe)\" 2>/dev/null && echo net-open || echo net-blocked; echo done-$((6*7))\r"
                    ),
                ]))
            let screen = try await Self.output(&frames, until: "done-42\r\n")
            #expect(screen.contains("30 100"), "the size reached the terminal: \(screen)")
            #expect(screen.contains("ro-data\r\n"), "/data is read-only: \(screen)")
            #expect(screen.contains("net-blocked\r\n"), "the session cannot connect out: \(screen)")
        }

        // A second browser (or the same one reconnecting) gets the shell as it was: recent output first.
        let again = try await Self.open(url, token: owner.token)
        try await again.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            #expect(try await Self.message(&frames) == ["setup", [:]])
            let replay = try await Self.output(&frames, until: "done-42\r\n")
            #expect(replay.contains("net-blocked"))
            try await outbound.write(Self.send(["stdin", "exit\r"]))
            var last: JSONValue = .null
            while let frame = try await frames.next(), frame.opcode == .text {
                last = try JSONValue.parse(String(buffer: frame.unmaskedData))
            }
            #expect(last == ["disconnect", 1])
        }

        // Only the project's members: no token 401, another project's user 404.
        for (token, status) in [(nil, 401), (outsider.token, 404)] as [(String?, Int)] {
            guard case .refused(let answer) = try await openWebSocket(url, token: token) else {
                Issue.record("opened with \(token == nil ? "no token" : "the outsider's token")")
                continue
            }
            #expect(try await statusAndText(of: answer).status == status)
        }

        let ended = try await cluster.finished(jobID, token: owner.token)
        #expect(ended["state"] == "succeeded", "\(ended.jsonText)")
        let runID = try #require(ended["runId"]?.stringValue)
        let lines = try await cluster.bytes(
            cluster.dataURL + "/v1/runs/\(runID)/files/outputs/lines.txt", token: owner.token)
        #expect(lines == "3\n")
        let log = try await cluster.logLines(jobID, token: owner.token)
        #expect(log.contains("mlex-terminal: the shell exited (status 0): the session ends"), "\(log)")
    }

    @Test("a session nobody uses stops after its idle time and still saves /output")
    func idleSessionStops() async throws {
        let cluster = try ComputeCluster.shared()
        let (_, agent, owner, _) = try await cluster.servingSetup(queue: Self.queue + "-idle")
        defer { kill(agent, SIGTERM) }
        let jobID = try await cluster.submit(
            [
                "projectId": .string(owner.project), "queue": .string(Self.queue + "-idle"),
                "resources": ["cpus": 0.5, "memoryMB": 256], "endpoint": ["kind": "terminal", "idleSeconds": 10],
            ], token: owner.token)
        let started = ContinuousClock.now
        let ended = try await cluster.finished(jobID, token: owner.token, seconds: 60)
        #expect(ended["state"] == "succeeded", "\(ended.jsonText)")
        print("an idle session of 10 s ended \(ContinuousClock.now - started) after it was submitted")
        let log = try await cluster.logLines(jobID, token: owner.token)
        #expect(log.contains("mlex-terminal: nothing typed or printed for 10 s: the session stops"), "\(log)")
    }

    @Test("a terminal session takes no command, one worker, and an idle time in range; nothing is stored on refusal")
    func refusals() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let session: [String: JSONValue] = ["projectId": .string(owner.project), "endpoint": ["kind": "terminal"]]
        let cases: [(change: [String: JSONValue], field: String)] = [
            (["command": ["/bin/sh"]], "command"), (["workers": 2], "workers"),
            (["endpoint": ["kind": "terminal", "idleSeconds": 5]], "endpoint.idleSeconds"),
            (["endpoint": ["kind": "terminal", "idleSeconds": .int(8 * 86400)]], "endpoint.idleSeconds"),
            (["endpoint": ["kind": "http", "idleSeconds": 60], "command": ["/bin/true"]], "endpoint.idleSeconds"),
            (["endpoint": ["kind": "shell"]], "endpoint.kind"),
        ]
        for (change, field) in cases {
            let answer = try await cluster.compute(
                "POST", "/v1/jobs", .object(session.merging(change) { $1 }), token: owner.token)
            #expect(answer.status == 400 && answer.body["error"]?["field"] == .string(field), "\(answer.body)")
        }
        let listed = try await cluster.compute("GET", "/v1/jobs?projectId=\(owner.project)", token: owner.token)
        #expect(listed.body["items"]?.arrayValue?.isEmpty == true, "\(listed.body)")
    }

    // MARK: terminado's messages

    /// Opens the session's socket, waiting while its server starts (502 until it listens).
    static func open(_ url: String, token: String) async throws -> NIOAsyncChannel<WebSocketFrame, WebSocketFrame> {
        var last = ""
        for _ in 0..<100 {
            switch try await openWebSocket(url, token: token) {
            case .accepted(let socket, _): return socket
            case .refused(let answer): last = "\(try await statusAndText(of: answer))"
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("the session never opened: \(last)")
        throw POSIXError(.ETIMEDOUT)
    }

    static func send(_ message: JSONValue) -> WebSocketFrame {
        clientFrame(.text, ByteBuffer(string: message.jsonText))
    }

    static func message<Frames: AsyncIteratorProtocol>(
        _ frames: inout Frames
    ) async throws -> JSONValue where Frames.Element == WebSocketFrame {
        let frame = try #require(try await frames.next())
        #expect(frame.opcode == .text)
        return try JSONValue.parse(String(buffer: frame.unmaskedData))
    }

    /// The shell's output until it holds `marker` (as printed, not as typed: the echo of the
    /// command line shows the expression, not its value).
    static func output<Frames: AsyncIteratorProtocol>(
        _ frames: inout Frames, until marker: String
    ) async throws -> String where Frames.Element == WebSocketFrame {
        var screen = ""
        while !screen.contains(marker) {
            let message = try await message(&frames)
            let parts = message.arrayValue ?? []
            guard parts.count == 2, parts[0] == "stdout", let text = parts[1].stringValue else {
                Issue.record("unexpected \(message.jsonText) after \(screen)")
                throw POSIXError(.EPROTO)
            }
            screen += text
        }
        return screen
    }
}
