import AsyncHTTPClient
import Foundation
import Platform

/// MLflow's own tracking server (`mlflow server` 3.18.0 from .venv-mlflow, which `make bench`
/// installs) on a SQLite backend with proxied artifacts in a local folder, as its docs start it:
/// the reference the MLflow benchmark runs the same client workload against.
struct MLflowReferenceServer {
    let url: String
    /// The experiment holding the runs loaded for search.
    let searchExperiment: String
    private let process: Process

    /// Loads `runs` runs into a fresh backend (apps/bench/mlflow/load_mlflow_store.py, not
    /// measured), then serves it on a free port; returns once `/health` answers.
    static func start(executable: String, directory: URL, runs: Int) async throws -> MLflowReferenceServer {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = directory.appendingPathComponent("mlflow.db").path
        let artifacts = directory.appendingPathComponent("artifacts").path
        let python = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("python").path
        let began = ContinuousClock.now
        let loaded = try await runPythonJSON(
            python, ["apps/bench/mlflow/load_mlflow_store.py", database, artifacts, String(runs)],
            log: directory.appendingPathComponent("load.log"))
        guard let experiment = loaded["experiment_id"]?.stringValue else {
            throw BenchFailure("loading MLflow's store answered \(loaded.jsonText)")
        }
        print(
            String(
                format: "\n(loaded %d runs into MLflow's SQLite store in %.1f s)", runs,
                (ContinuousClock.now - began).seconds))

        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "server", "--backend-store-uri", "sqlite:///\(database)", "--artifacts-destination", artifacts,
            "--serve-artifacts", "--host", "127.0.0.1", "--port", String(port),
        ]
        // Its background job runner (huey consumers for GenAI jobs) has nothing to do with
        // tracking and would take CPU from the server being measured.
        process.environment = ProcessInfo.processInfo.environment.merging([
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"
        ]) { $1 }
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let server = MLflowReferenceServer(
            url: "http://127.0.0.1:\(port)", searchExperiment: experiment, process: process)
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if await server.healthy() { return server }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        server.stop()
        throw BenchFailure("mlflow server did not answer /health; see \(log.path)")
    }

    private func healthy() async -> Bool {
        let request = HTTPClientRequest(url: url + "/health")
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1024)
        return response.status == .ok
    }

    /// SIGTERM, then SIGKILL after 10 s — for the server and for the uvicorn workers it spawned,
    /// which outlived it when only the server was signalled and kept their CPU from later rows.
    func stop() {
        guard process.isRunning else { return }
        let workers = Self.descendants(of: process.processIdentifier)
        process.terminate()
        for worker in workers { kill(worker, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for worker in workers { kill(worker, SIGKILL) }
    }

    /// Every process below `root`, from the parent ids in /proc/<pid>/stat.
    static func descendants(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                // The command name may hold spaces; the fields after its closing parenthesis do not.
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { children[parent, default: []].append(pid) }
        }
        var found: [pid_t] = []
        var pending = [root]
        while let next = pending.popLast() {
            let below = children[next] ?? []
            found += below
            pending += below
        }
        return found
    }
}

/// Runs `python arguments` from the checkout with `environment` added, its stderr in `log`;
/// the last line of its stdout parsed as JSON. A failure names the log.
func runPythonJSON(
    _ python: String, _ arguments: [String], environment: [String: String] = [:], log: URL
) async throws -> JSONValue {
    let output = log.deletingPathExtension().appendingPathExtension("out")
    for file in [log, output] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
    let errors = try FileHandle(forWritingTo: log)
    let answers = try FileHandle(forWritingTo: output)
    defer {
        try? errors.close()
        try? answers.close()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = answers
    process.standardError = errors
    try process.run()
    while process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
    let text = String(decoding: try Data(contentsOf: output), as: UTF8.self)
    guard process.terminationStatus == 0,
        let last = text.split(separator: "\n").last, let answer = try? JSONValue.parse(String(last))
    else {
        throw BenchFailure(
            "\(URL(fileURLWithPath: arguments.first ?? "").lastPathComponent) failed (exit status \(process.terminationStatus)); see \(log.path)"
        )
    }
    return answer
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
