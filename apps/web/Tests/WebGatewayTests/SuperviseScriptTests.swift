import Foundation
import PlatformTesting
import Testing

/// apps/run/supervise.sh, what `make run` runs, on two stand-in executables (`exec sleep`): a
/// child killed from outside is restarted with its pid file updated while the other keeps its
/// pid, and SIGINT to the supervisor stops both, removes the pid files and exits 0.
@Suite("make run's supervisor")
struct SuperviseScriptTests {
    @Test("restarts a killed child, leaves the other alone, and stops everything on SIGINT", .timeLimit(.minutes(1)))
    func restartsAndStops() async throws {
        let script = repositoryRoot().appendingPathComponent("apps/run/supervise.sh")
        try #require(
            FileManager.default.isExecutableFile(atPath: script.path),
            "apps/run/supervise.sh must exist and be executable")
        let root = try temporaryDirectory()
        let bin = root.appendingPathComponent("bin")
        let state = root.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for name in ["mlex-a", "mlex-b"] {
            let file = bin.appendingPathComponent(name)
            try "#!/bin/sh\nexec sleep 1000\n".write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        }
        let pidFileA = state.appendingPathComponent("run/mlex-a.pid")
        let pidFileB = state.appendingPathComponent("run/mlex-b.pid")
        // The supervisor's stderr goes to a file, read while it runs (a pipe would need a reader).
        let log = root.appendingPathComponent("supervise.err")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        defer { try? logHandle.close() }

        let supervisor = Process()
        // A child inherits its parent thread's signal mask, and this test process's threads
        // block SIGINT and SIGTERM (the service groups of other tests handle them): a shell
        // started with them blocked never sees Ctrl-C. As from a terminal, the supervisor
        // starts with an empty mask, set by a launcher that then execs it.
        supervisor.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        supervisor.arguments = [
            "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
            script.path, state.path, bin.path, "mlex-a", "mlex-b",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["MLEX_RESTART_MAX_BACKOFF"] = "1"
        supervisor.environment = environment
        supervisor.standardOutput = FileHandle.nullDevice
        supervisor.standardError = logHandle
        try supervisor.run()
        // Every child pid seen, so that a failing test leaves nothing running.
        var children: Set<pid_t> = []
        defer {
            if supervisor.isRunning { kill(supervisor.processIdentifier, SIGKILL) }
            for pid in children where Self.isSleeper(pid) { kill(pid, SIGKILL) }
        }

        let started = await Self.poll(seconds: 10) {
            Self.pid(in: pidFileA).map(Self.isSleeper) == true && Self.pid(in: pidFileB).map(Self.isSleeper) == true
        }
        try #require(started, "both children should be running with their pid files written")
        let firstA = try #require(Self.pid(in: pidFileA))
        let b = try #require(Self.pid(in: pidFileB))
        children.formUnion([firstA, b])

        kill(firstA, SIGKILL)
        var secondA: pid_t?
        let restarted = await Self.poll(seconds: 20) {
            guard let pid = Self.pid(in: pidFileA), pid != firstA, Self.isSleeper(pid) else { return false }
            secondA = pid
            children.insert(pid)
            return Self.text(of: log).contains("restarted")
        }
        let output = Self.text(of: log)
        try #require(restarted, "mlex-a should be restarted under a new pid; the supervisor said: \(output)")
        #expect(Self.pid(in: pidFileB) == b, "mlex-b keeps its pid")
        #expect(Self.isSleeper(b), "mlex-b keeps running")
        #expect(output.contains("mlex-a exited"), "the supervisor says so: \(output)")
        #expect(output.contains("restarting in"), "and that it restarts it: \(output)")
        #expect(!output.contains("mlex-b exited"))

        kill(supervisor.processIdentifier, SIGINT)
        let exited = await Self.poll(seconds: 20) { !supervisor.isRunning }
        try #require(
            exited,
            "SIGINT should stop the supervisor; its signals: \(Self.signalMasks(of: supervisor.processIdentifier)); it said: \(Self.text(of: log))"
        )
        #expect(supervisor.terminationReason == .exit)
        #expect(supervisor.terminationStatus == 0)
        for pid in [b, secondA ?? b] {
            #expect(!Self.isSleeper(pid), "child \(pid) is stopped with the supervisor")
        }
        #expect(!FileManager.default.fileExists(atPath: pidFileA.path))
        #expect(!FileManager.default.fileExists(atPath: pidFileB.path))
    }

    @Test("prints the running table only once every process answers GET /ready", .timeLimit(.minutes(1)))
    func tableAfterReady() async throws {
        let run = try SupervisedStandIns(readyAfterSeconds: ["mlex-a": 2], timeout: 30)
        defer { run.cleanUp() }
        let shown = await Self.poll(seconds: 20) { Self.text(of: run.stdout).contains("is running") }
        let output = Self.text(of: run.stdout)
        let errors = Self.text(of: run.stderr)
        try #require(shown, "the table should come once mlex-a is ready; stdout: \(output); stderr: \(errors)")
        #expect(
            FileManager.default.fileExists(atPath: run.readyMarker("mlex-a").path),
            "the table came before mlex-a's /ready said 200")
        #expect(output.contains("a        http://127.0.0.1:\(run.ports["mlex-a"]!)  (docs: /docs)"), "\(output)")
        #expect(!output.contains("NOT READY"))
        #expect(!errors.contains("not ready"), "\(errors)")
        try await run.interrupt()
    }

    @Test(
        "names the processes whose /ready does not answer 200 in time, and still prints the table",
        .timeLimit(.minutes(1)))
    func namesWhatIsNotReady() async throws {
        // mlex-b is never ready (503 naming its failing dependency); mlex-c never listens.
        let run = try SupervisedStandIns(readyAfterSeconds: ["mlex-a": 0, "mlex-b": 1000, "mlex-c": nil], timeout: 3)
        defer { run.cleanUp() }
        let shown = await Self.poll(seconds: 20) { Self.text(of: run.stdout).contains("is running") }
        let output = Self.text(of: run.stdout)
        let errors = Self.text(of: run.stderr)
        try #require(shown, "the table should come after the timeout; stdout: \(output); stderr: \(errors)")
        #expect(errors.contains("!!! not ready after 3s: b c"), "\(errors)")
        #expect(
            errors.contains("b: http://127.0.0.1:\(run.ports["mlex-b"]!)/ready: answered 503 (failing: bus)"),
            "\(errors)")
        #expect(errors.contains("c: http://127.0.0.1:\(run.ports["mlex-c"]!)/ready: no answer"), "\(errors)")
        #expect(output.contains("not all of it is ready"), "\(output)")
        #expect(output.contains("a        http://127.0.0.1:\(run.ports["mlex-a"]!)  (docs: /docs)"), "\(output)")
        #expect(output.contains("b        http://127.0.0.1:\(run.ports["mlex-b"]!)  NOT READY"), "\(output)")
        #expect(output.contains("c        http://127.0.0.1:\(run.ports["mlex-c"]!)  NOT READY"), "\(output)")
        try await run.interrupt()
    }

    /// Polls `condition` every 100 ms until it holds or `seconds` have passed.
    static func poll(seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    static func text(of file: URL) -> String {
        guard let handle = FileHandle(forReadingAtPath: file.path) else { return "" }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    /// The pid a pid file holds (nil while it is missing or being replaced).
    static func pid(in file: URL) -> pid_t? {
        pid_t(text(of: file).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether `pid` is (still) one of the stand-ins, past their `exec`: pids are reused, and a
    /// zombie or a recycled pid must count as gone.
    static func isSleeper(_ pid: pid_t) -> Bool {
        text(of: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) == "sleep\u{0}1000\u{0}"
    }

    /// Blocked and ignored signals: bash cannot trap a signal that was ignored when it started.
    static func signalMasks(of pid: pid_t) -> String {
        text(of: URL(fileURLWithPath: "/proc/\(pid)/status")).split(separator: "\n")
            .filter { $0.hasPrefix("SigBlk") || $0.hasPrefix("SigIgn") }.joined(separator: " ")
    }
}

/// apps/run/supervise.sh over stand-ins that serve `GET /ready` on ports of their own, found by
/// the script as MLEX_<NAME>_PORT. A stand-in given N answers 503 (`"failing": ["bus"]`) for its
/// first N seconds, then 200, and leaves a marker file when it first says 200; one given nil
/// never listens (it only sleeps).
struct SupervisedStandIns {
    let root: URL
    let state: URL
    let stdout: URL
    let stderr: URL
    let ports: [String: Int]
    let supervisor = Process()

    static let server = """
        #!/usr/bin/env python3
        import http.server, os, sys, time
        name = os.path.basename(sys.argv[1])
        port = int(os.environ["MLEX_" + name.removeprefix("mlex-").upper() + "_PORT"])
        delay = float(sys.argv[2])
        started = time.monotonic()
        class Ready(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                ready = time.monotonic() - started >= delay
                if ready:
                    open(os.path.join(os.environ["MLEX_STATE_DIR"], name + ".ready"), "w").close()
                body = b'{"status":"ready"}' if ready else b'{"status":"unavailable","failing":["bus"]}'
                self.send_response(200 if ready else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.HTTPServer(("127.0.0.1", port), Ready).serve_forever()
        """

    init(readyAfterSeconds: KeyValuePairs<String, Int?>, timeout: Int) throws {
        root = try temporaryDirectory()
        let bin = root.appendingPathComponent("bin")
        state = root.appendingPathComponent("state")
        stdout = root.appendingPathComponent("supervise.out")
        stderr = root.appendingPathComponent("supervise.err")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try Self.server.write(to: bin.appendingPathComponent("ready-server"), atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["MLEX_READY_TIMEOUT"] = String(timeout)
        var ports: [String: Int] = [:]
        for (name, delay) in readyAfterSeconds {
            let port = try freePort()
            ports[name] = port
            environment["MLEX_\(name.dropFirst("mlex-".count).uppercased())_PORT"] = String(port)
            let file = bin.appendingPathComponent(name)
            // Either way the stand-in's path stays on its command line, for `cleanUp`.
            let body =
                delay.map { "exec python3 \"$(dirname \"$0\")/ready-server\" \"$0\" \($0)" }
                ?? "exec python3 -c 'import time; time.sleep(1000)' \"$0\""
            try "#!/bin/bash\n\(body)\n".write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        }
        self.ports = ports
        for file in [stdout, stderr] { FileManager.default.createFile(atPath: file.path, contents: nil) }
        let out = try FileHandle(forWritingTo: stdout)
        let err = try FileHandle(forWritingTo: stderr)
        defer {
            try? out.close()
            try? err.close()
        }
        // As in restartsAndStops: started with an empty signal mask, so SIGINT reaches it.
        supervisor.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        supervisor.arguments =
            [
                "-c",
                "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                repositoryRoot().appendingPathComponent("apps/run/supervise.sh").path, state.path, bin.path,
            ] + readyAfterSeconds.map(\.key)
        supervisor.environment = environment
        supervisor.standardOutput = out
        supervisor.standardError = err
        try supervisor.run()
    }

    func readyMarker(_ name: String) -> URL {
        state.appendingPathComponent("\(name).ready")
    }

    /// SIGINT, as Ctrl-C: the supervisor stops its children and exits 0.
    func interrupt() async throws {
        kill(supervisor.processIdentifier, SIGINT)
        let exited = await SuperviseScriptTests.poll(seconds: 20) { !supervisor.isRunning }
        try #require(exited, "SIGINT should stop the supervisor; it said: \(SuperviseScriptTests.text(of: stderr))")
        #expect(supervisor.terminationStatus == 0)
        for name in ports.keys {
            #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("run/\(name).pid").path))
        }
    }

    /// What a failing test leaves behind: the supervisor, then any child its pid files name.
    func cleanUp() {
        if supervisor.isRunning { kill(supervisor.processIdentifier, SIGKILL) }
        for name in ports.keys {
            guard let pid = SuperviseScriptTests.pid(in: state.appendingPathComponent("run/\(name).pid")) else {
                continue
            }
            if SuperviseScriptTests.text(of: URL(fileURLWithPath: "/proc/\(pid)/cmdline")).contains(root.path) {
                kill(pid, SIGKILL)
            }
        }
    }
}
