import Foundation

/// The repository's compose deployment as `make compose_<subset> COMPOSE_OFFLINE=1` starts it,
/// against a dockerd of its own (doc_compose/images/dockerd.sh): its socket, data root and
/// agent directory under `directory`, apart from the compute tests' /tmp/mlex-dockerd-* and from
/// the dockerd `make compose-dockerd` starts. The data root stays between runs (the images are
/// its cache); the volumes and the agent's jobs do not.
///
/// Published ports go to a loopback address of their own (`bind`), the network to a subnet of
/// its own, so a `make run` or a compose deployment on 127.0.0.1 neither blocks nor answers it.
struct ComposeDeployment {
    static let directory = URL(fileURLWithPath: "/tmp/mlex-compose-test")
    static let bind = "127.0.0.58"
    /// Every container of every subset, so a `compose_down` leaves none behind.
    static let project = "mlexchange"

    let environment: [String: String]
    let logs: URL

    init() throws {
        let directory = Self.directory
        logs = directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("DEPLOY_") && !$0.key.hasPrefix("COMPOSE_") && $0.key != "DOCKER_HOST"
        }
        environment["MLEX_COMPOSE_DOCKERD"] = directory.path
        environment["DOCKER_HOST"] = "unix://\(directory.appendingPathComponent("docker.sock").path)"
        environment["COMPOSE_OFFLINE"] = "1"
        environment["DEPLOY_SECRETS_DIR"] = directory.appendingPathComponent("secrets").path
        environment["DEPLOY_AGENT_DIR"] = directory.appendingPathComponent("agent").path
        environment["DEPLOY_BIND"] = Self.bind
        environment["DEPLOY_SUBNET"] = "172.30.58.0/24"
        environment["DEPLOY_GATEWAY_IP"] = "172.30.58.10"
        // Tools the scripts call (debootstrap, dockerd, strip) live in the sbin directories too.
        environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        self.environment = environment
    }

    /// Starts the daemon (or finds it running), then removes what a previous run left: the
    /// containers, the project's volumes, the agent's job directories and replaced images.
    func startClean() throws {
        try run(["doc_compose/images/dockerd.sh", "start"], log: "dockerd-start", timeout: .seconds(90))
        try make("compose_down")
        let volumes = try run(
            ["docker", "volume", "ls", "-q", "--filter", "label=com.docker.compose.project=\(Self.project)"],
            log: "volumes", timeout: .seconds(30)
        ).split(separator: "\n").map(String.init)
        if !volumes.isEmpty { try run(["docker", "volume", "rm"] + volumes, log: "volumes-rm", timeout: .seconds(60)) }
        try? FileManager.default.removeItem(at: Self.directory.appendingPathComponent("agent"))
        // The images the last builds replaced (~1 GB each time the executables change).
        try run(["docker", "image", "prune", "-f"], log: "prune", timeout: .seconds(120))
    }

    /// SIGTERM by pid: the daemon stops its containers; its data root (the images) stays.
    func stopDaemon() {
        _ = try? run(["doc_compose/images/dockerd.sh", "stop"], log: "dockerd-stop", timeout: .seconds(60))
    }

    @discardableResult
    func make(_ target: String, timeout: Duration = .seconds(420)) throws -> String {
        try run(["make", "--no-print-directory", target], log: target, timeout: timeout)
    }

    /// Waits until every container of the project is running and healthy, and they are the
    /// `services` expected; fails at once on one that exited or turned unhealthy.
    func waitHealthy(_ services: Set<String>, within limit: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: limit)
        var states: [String: String] = [:]
        while ContinuousClock.now < deadline {
            states = try containerStates()
            if Set(states.keys) == services, states.values.allSatisfy({ $0.contains("(healthy)") }) { return }
            if let (service, state) = states.first(where: {
                $0.value.contains("unhealthy") || $0.value.hasPrefix("Exited") || $0.value.hasPrefix("Restarting")
            }) {
                throw Failure("\(service) is \(state); its log ends:\n\(try containerLog(service))")
            }
            try await Task.sleep(for: .seconds(2))
        }
        throw Failure("not all healthy within \(limit): \(states.sorted { $0.key < $1.key })")
    }

    /// service → `docker ps` status ("Up 20 seconds (healthy)", "Exited (1) …").
    func containerStates() throws -> [String: String] {
        let output = try run(
            [
                "docker", "ps", "-a", "--filter", "label=com.docker.compose.project=\(Self.project)", "--format",
                #"{{.Label "com.docker.compose.service"}}|{{.Status}}"#,
            ], log: "ps", timeout: .seconds(30))
        return Dictionary(
            output.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            }, uniquingKeysWith: { first, _ in first })
    }

    func containerLog(_ service: String) throws -> String {
        let log = try run(
            ["docker", "logs", "--tail", "30", "\(Self.project)_\(service)_1"], log: "logs-\(service)",
            timeout: .seconds(30))
        return log
    }

    /// Runs a command in the repository with this deployment's environment; its output (stdout
    /// and stderr) goes to logs/<log>.log, and its last lines into the error when it fails.
    @discardableResult
    func run(_ arguments: [String], log name: String, timeout: Duration) throws -> String {
        let log = logs.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = repository
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning, ContinuousClock.now < deadline { usleep(100_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(
                "\(arguments.joined(separator: " ")) took more than \(timeout); \(log.path) ends:\n\(tail(log))")
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw Failure(
                "\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)); \(log.path) ends:\n\(tail(log))"
            )
        }
        return output
    }

    private func tail(_ log: URL) -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(25).joined(separator: "\n")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// Runs one step of a long test and prints how long it took, so a slow run shows where.
func timed<T>(_ step: String, _ body: () async throws -> T) async rethrows -> T {
    let start = ContinuousClock.now
    defer {
        let seconds = (ContinuousClock.now - start).components
        let tenths = Double(seconds.seconds) + Double(seconds.attoseconds) / 1e18
        print("[ComposeRun] \(step): \(String(format: "%.1f", tenths)) s")
    }
    return try await body()
}
