import Bus
import Foundation
import Platform

/// What an idle platform costs, and how fast an event still crosses processes (issue 25): the
/// gateway, every service and compute's node agent are started from this build's directory by
/// apps/run/supervise.sh, as `make run` starts them; once all answer `/ready` they sit for
/// `seconds`, and each process's CPU time (utime + stime from /proc/<pid>/stat) is read before
/// and after. Then one bench process publishes small events to the SQLite log one at a time and
/// this one consumes them: the publish → consume latency a service sees from another service.
struct IdleBenchmark {
    /// Where the platform's state, its logs and the latency run's log file go (emptied first).
    let directory: URL
    let seconds: Int
    let latencyEvents: Int

    /// The reference the issue sets: the whole idle platform under 2% of one core.
    static let goalPercent = 2.0
    static let peerVariable = "MLEX_BENCH_IDLE_PEER"
    static let latencyTopic = "bench.idle.latency"

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await measureIdlePlatform()
        try await measureCrossProcessLatency()
    }

    // MARK: - Idle CPU

    private func measureIdlePlatform() async throws {
        let binaries = Self.executableDirectory()
        let executables = try Self.platformExecutables(in: binaries)
        let platform = try IdlePlatform.start(
            executables: executables, binaries: binaries, directory: directory.appendingPathComponent("platform"))
        defer { platform.stop() }
        try await platform.waitUntilReady(timeout: .seconds(120))
        // Start-up work (catalogs, the first admin, catching up on the log) is not idling.
        try await Task.sleep(for: .seconds(5))

        let processes = platform.processes()
        let benchPID = getpid()
        let before = processes.mapValues(Self.cpuTicks)
        let benchBefore = Self.cpuTicks(benchPID)
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let wall = (ContinuousClock.now - start).seconds
        let after = processes.mapValues(Self.cpuTicks)
        let benchAfter = Self.cpuTicks(benchPID)
        platform.stop()

        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        func percent(_ ticks: Int) -> Double { Double(ticks) / ticksPerSecond / wall * 100 }
        print(
            "\n## Idle platform: CPU over \(Int(wall.rounded())) s, % of one core  (reference: the goal, the whole platform < \(Self.goalPercent)%)"
        )
        print(Table.pad("process", 40) + Table.pad("pid", 10) + Table.pad("CPU s", 10) + "% of one core")
        var total = 0
        for (name, pid) in processes.sorted(by: { $0.key < $1.key }) {
            guard let first = before[name] ?? nil, let last = after[name] ?? nil else {
                print(Table.pad(name, 40) + Table.pad("\(pid)", 10) + "exited during the measurement")
                continue
            }
            let ticks = last - first
            total += ticks
            print(
                Table.pad(name, 40) + Table.pad("\(pid)", 10)
                    + Table.pad(String(format: "%.2f", Double(ticks) / ticksPerSecond), 10)
                    + String(format: "%.2f", percent(ticks)))
        }
        print(
            Table.pad("total", 50) + Table.pad(String(format: "%.2f", Double(total) / ticksPerSecond), 10)
                + String(format: "%.2f", percent(total))
                + "  (goal < \(Self.goalPercent): \(percent(total) < Self.goalPercent ? "met" : "NOT met"))")
        if let first = benchBefore, let last = benchAfter {
            print(
                Table.pad("(this bench, sleeping: the floor)", 60)
                    + String(format: "%.2f", percent(last - first)))
        }
    }

    /// Utime + stime + the children's it waited for (a shell's `sleep`s), in clock ticks; nil
    /// once the process is gone. Fields 14–17 of /proc/<pid>/stat, counted after the `)` that
    /// ends the command name (which may itself hold spaces).
    static func cpuTicks(_ pid: pid_t) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 14 else { return nil }
        return fields[11...14].reduce(0) { $0 + (Int($1) ?? 0) }
    }

    /// The directory holding this binary: the release build's, where the services were built too.
    static func executableDirectory() -> URL {
        let path =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).deletingLastPathComponent()
    }

    /// What `make run` starts (the Makefile's EXECUTABLES): the gateway, each service's `mlex-<svc>`
    /// and compute's node agent, not the job supervisor the agent starts itself.
    static func platformExecutables(in binaries: URL) throws -> [String] {
        let names = [
            "mlex-web", "mlex-compute", "mlex-compute-agent", "mlex-data", "mlex-ingest", "mlex-mlhub", "mlex-tag",
            "mlex-users",
        ]
        let missing = names.filter {
            !FileManager.default.isExecutableFile(atPath: binaries.appendingPathComponent($0).path)
        }
        guard missing.isEmpty else {
            throw BenchSetupError(
                "\(missing.joined(separator: ", ")) not built in \(binaries.path): build every executable (swift build -c release)"
            )
        }
        return names
    }

    // MARK: - Latency across processes

    private func measureCrossProcessLatency() async throws {
        let busPath = directory.appendingPathComponent("latency-bus.sqlite").path
        let bus = try SQLiteLogBus(path: busPath)

        // Reference: publisher and consumer in this process, where the publisher wakes the consumer itself.
        let local = try await consume(
            name: "publish → consume, same process (reference)", bus: bus, topic: Self.latencyTopic + ".local"
        ) {
            Task { try await Self.publishSpaced(on: bus, topic: Self.latencyTopic + ".local", events: latencyEvents) }
        }
        let peer = Process()
        let other = try await consume(name: "publish → consume, another process", bus: bus, topic: Self.latencyTopic) {
            peer.executableURL = Self.executableDirectory().appendingPathComponent("mlex-bench")
            peer.arguments = ["idle"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.peerVariable] = busPath
            environment["MLEX_BENCH_IDLE_EVENTS"] = "\(latencyEvents)"
            peer.environment = environment
            try peer.run()
        }
        peer.waitUntilExit()
        Table.printRates(
            title: "Bus (SQLite log): \(latencyEvents) small events, one every 5–25 ms", rows: [local, other],
            reference: "first row", unit: "events/s")
    }

    /// Subscribes, starts the publisher, and times each event from the publisher's clock reading
    /// (CLOCK_MONOTONIC, shared by every process) to its arrival here.
    private func consume(
        name: String, bus: SQLiteLogBus, topic: String, startPublisher: () throws -> Void
    ) async throws -> Measurement {
        let subscription = try await bus.subscribe(group: "bench", topic: topic)
        var row = Measurement(name: name, operations: latencyEvents)
        let start = ContinuousClock.now
        try startPublisher()
        while row.latencies.count < latencyEvents {
            let deliveries = try await subscription.next(max: 100, wait: .seconds(10))
            guard !deliveries.isEmpty else { throw BenchSetupError("\(name): no event for 10 s") }
            let now = Self.monotonicNanoseconds()
            for delivery in deliveries {
                let sent = delivery.event.data["sentNs"]?.intValue ?? now
                row.latencies.append(.nanoseconds(now - sent))
            }
        }
        row.elapsed = ContinuousClock.now - start
        return row
    }

    /// The peer's side (`MLEX_BENCH_IDLE_PEER=<log> mlex-bench idle`): publishes one event at a
    /// time, a random 5–25 ms apart so no poll interval lines up with them, each stamped with when
    /// its publish began.
    static func publishAsPeer(busPath: String) async throws {
        let events = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_IDLE_EVENTS"] ?? "200") ?? 200
        try await publishSpaced(on: try SQLiteLogBus(path: busPath), topic: latencyTopic, events: events)
    }

    static func publishSpaced(on bus: any Bus, topic: String, events: Int) async throws {
        for index in 0..<events {
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...25)))
            let event = CloudEvent(
                source: "/mlex/bench", type: "mlex.bench.thing.changed", subject: "thing-\(index)",
                data: ["n": .int(Int64(index)), "sentNs": .int(monotonicNanoseconds())])
            try await bus.publish([event], to: topic)
        }
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

struct BenchSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The platform as `make run` runs it: apps/run/supervise.sh over the executables, each on a
/// free port (so a `make run` on this machine is not disturbed), its pid in `<state>/run`.
final class IdlePlatform {
    let supervisor: Process
    let state: URL
    let output: URL
    let executables: [String]

    private init(supervisor: Process, state: URL, output: URL, executables: [String]) {
        self.supervisor = supervisor
        self.state = state
        self.output = output
        self.executables = executables
    }

    static func start(executables: [String], binaries: URL, directory: URL) throws -> IdlePlatform {
        let state = directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        for service in ServiceName.allCases {
            let port = try LoopbackPort.free()
            let key = service.rawValue.uppercased()
            environment["MLEX_\(key)_PORT"] = "\(port)"
            environment["MLEX_\(key)_URL"] = "http://127.0.0.1:\(port)"
        }
        environment["MLEX_AGENT_PORT"] = "\(try LoopbackPort.free())"
        environment["MLEX_STATE_DIR"] = state.path

        let output = directory.appendingPathComponent("supervise.out")
        let log = directory.appendingPathComponent("platform.log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let supervisor = Process()
        // As from a terminal: the supervisor starts with no signal blocked (threads of a Swift
        // process may block SIGTERM), so that SIGTERM stops it and its children.
        supervisor.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        supervisor.arguments =
            [
                "-c",
                "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                "apps/run/supervise.sh", state.path, binaries.path,
            ] + executables
        supervisor.environment = environment
        supervisor.standardOutput = try FileHandle(forWritingTo: output)
        supervisor.standardError = try FileHandle(forWritingTo: log)
        try supervisor.run()
        return IdlePlatform(supervisor: supervisor, state: state, output: output, executables: executables)
    }

    /// Until the supervisor prints its table, which it does once every process answers `/ready`.
    func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if text.contains("MLExchange is running") {
                guard !text.contains("NOT READY") else {
                    throw BenchSetupError("the platform did not get ready:\n\(text)")
                }
                return
            }
            guard supervisor.isRunning else { throw BenchSetupError("apps/run/supervise.sh exited:\n\(text)") }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchSetupError("the platform was not ready within \(timeout)")
    }

    /// Each executable's pid (from its pid file), and the supervisor's own.
    func processes() -> [String: pid_t] {
        var pids = ["supervise.sh (with its sleeps)": supervisor.processIdentifier]
        for name in executables {
            let file = state.appendingPathComponent("run/\(name).pid")
            if let text = try? String(contentsOf: file, encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                pids[name] = pid
            }
        }
        return pids
    }

    /// SIGTERM to the supervisor, which stops its children (SIGKILL after 10 s); anything still
    /// there after 15 s is killed by its pid.
    func stop() {
        let children = processes().values.filter { $0 != supervisor.processIdentifier }
        if supervisor.isRunning { kill(supervisor.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(15)
        while supervisor.isRunning, Date() < deadline { usleep(100_000) }
        for pid in children + [supervisor.processIdentifier] where kill(pid, 0) == 0 {
            kill(pid, SIGKILL)
        }
        if !supervisor.isRunning { supervisor.waitUntilExit() }
    }
}
