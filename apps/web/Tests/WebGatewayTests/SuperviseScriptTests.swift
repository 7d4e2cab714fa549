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
        try #require(FileManager.default.isExecutableFile(atPath: script.path), "apps/run/supervise.sh must exist and be executable")
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
            "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
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
        try #require(exited, "SIGINT should stop the supervisor; its signals: \(Self.signalMasks(of: supervisor.processIdentifier)); it said: \(Self.text(of: log))")
        #expect(supervisor.terminationReason == .exit)
        #expect(supervisor.terminationStatus == 0)
        for pid in [b, secondA ?? b] {
            #expect(!Self.isSleeper(pid), "child \(pid) is stopped with the supervisor")
        }
        #expect(!FileManager.default.fileExists(atPath: pidFileA.path))
        #expect(!FileManager.default.fileExists(atPath: pidFileB.path))
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
