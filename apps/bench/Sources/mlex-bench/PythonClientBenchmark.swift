import Foundation
import Platform

/// Issue 29's benchmark: one Python process logging one point per call, the way a training loop
/// does (apps/bench/python/driver.py). Rows, all from the same driver in one run:
/// - the `mlexchange` client (clients/python, on PYTHONPATH so no install is needed): the rate
///   `log_metric` calls are accepted at, each call timed, and the rate from the first call to
///   `flush()` returning, the points counted at the server;
/// - the reference: the same points posted in batches of 1000 (issue 29's "raw HTTP batch rate")
///   and of 10,000 (the API's largest request, which the client's sender also sends when points
///   pile up, so it can beat the 1000-point rate) by a bare http.client loop with keep-alive,
///   JSON encoding included;
/// - MLflow's client (`mlflow.log_metric`, synchronous and with its async logging) against
///   MLflow's own server when .venv-mlflow is installed, and against ours at `/mlflow/<project>`.
/// MLflow's server runs first and is stopped before ours starts, so they never share the CPU.
/// Goals (issue 29), printed, never asserted: ≥ 100k points/s accepted without the loop waiting,
/// and the flush rate at ≥ 50% of the raw batch rate.
struct PythonClientBenchmark {
    let directory: URL
    /// .venv/bin/python: mlflow-skinny for the MLflow rows; the mlexchange client comes from the checkout.
    let python: String
    /// .venv-mlflow/bin/mlflow, or nil to leave out the rows against MLflow's server.
    let mlflowServer: String?
    let points: Int
    /// `mlflow.log_metric` calls, synchronous and async: one request each, so far fewer.
    let mlflowPoints: Int
    /// `mlflow.log_metric` calls with MLflow's async logging merging them into batches.
    let mlflowBufferedPoints: Int

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let mlflowRows = "mlflow-sync,mlflow-async,mlflow-buffered"
        var theirs: [String: Row] = [:]
        if let mlflowServer {
            // One loaded run: the rows make runs of their own; the store only needs its schema.
            let reference = try await MLflowReferenceServer.start(
                executable: mlflowServer, directory: directory.appendingPathComponent("mlflow"), runs: 1)
            do {
                theirs = try await drive(
                    rows: mlflowRows, environment: ["MLFLOW_TRACKING_URI": reference.url], name: "mlflow")
                reference.stop()
            } catch {
                reference.stop()
                throw error
            }
        }

        let state = directory.appendingPathComponent("mlex")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let services = try await BenchServices.start(directory: state)
        defer { services.stop() }
        let gateway = try await services.startGateway(directory: state)
        defer { gateway.task.cancel() }
        let client = services.client
        let project = "python-bench"
        let projectID =
            try await client.call("POST", "/v1/projects", #"{"name": "\#(project)"}"#)["id"]?.stringValue ?? ""
        let experiment =
            try await client.call("POST", "/v1/projects/\(projectID)/experiments", #"{"name": "raw"}"#)["id"]?
            .stringValue ?? ""
        let ours = try await drive(
            rows: "raw,raw-10k,mlex," + mlflowRows,
            environment: [
                "MLEX_URL": gateway.url, "MLEX_TOKEN": client.token ?? "", "MLEX_BENCH_PROJECT": project,
                "MLEX_BENCH_EXPERIMENT": experiment, "MLFLOW_TRACKING_URI": "\(gateway.url)/mlflow/\(project)",
                "MLFLOW_TRACKING_TOKEN": client.token ?? "",
            ], name: "mlex")
        printTable(theirs: theirs, ours: ours)
    }

    /// One row of the driver's answer (apps/bench/python/driver.py documents the fields).
    struct Row {
        let points: Int
        let acceptSeconds: Double
        let deliverSeconds: Double
        let p50: Double
        let p99: Double
        let max: Double
        let slowCalls: Int
        let calls: Int
        let verified: Int?
        let note: String
        let error: String?

        var accepted: Double { acceptSeconds > 0 ? Double(points) / acceptSeconds : 0 }
        var delivered: Double { deliverSeconds > 0 ? Double(points) / deliverSeconds : 0 }
    }

    private func drive(rows: String, environment: [String: String], name: String) async throws -> [String: Row] {
        let checkout = FileManager.default.currentDirectoryPath
        let existing = ProcessInfo.processInfo.environment["PYTHONPATH"].map { ":" + $0 } ?? ""
        let answer = try await runPythonJSON(
            python,
            [
                "apps/bench/python/driver.py", "--rows", rows, "--points", String(points), "--mlflow-points",
                String(mlflowPoints), "--mlflow-buffered-points", String(mlflowBufferedPoints),
            ],
            environment: environment.merging([
                "PYTHONPATH": "\(checkout)/clients/python" + existing, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
            ]) { $1 }, log: directory.appendingPathComponent("driver-\(name).log"))
        var found: [String: Row] = [:]
        for row in answer["rows"]?.arrayValue ?? [] {
            guard let key = row["row"]?.stringValue else { continue }
            found[key] = Row(
                points: Int(row["points"]?.intValue ?? 0), acceptSeconds: row["accept_seconds"]?.numberValue ?? 0,
                deliverSeconds: row["deliver_seconds"]?.numberValue ?? 0, p50: row["p50_us"]?.numberValue ?? 0,
                p99: row["p99_us"]?.numberValue ?? 0, max: row["max_us"]?.numberValue ?? 0,
                slowCalls: Int(row["slow_calls"]?.intValue ?? 0), calls: Int(row["calls"]?.intValue ?? 0),
                verified: row["verified"]?.intValue.map { Int($0) }, note: row["note"]?.stringValue ?? "",
                error: row["error"]?.stringValue)
        }
        return found
    }

    private func printTable(theirs: [String: Row], ours: [String: Row]) {
        let hasMLflowServer = mlflowServer != nil
        print(
            "\n## Python client: one process, one point per call  (goals: ≥ 100k points/s accepted without the loop"
                + " waiting; flush rate ≥ 50% of raw HTTP batches)")
        print(
            Table.pad("case", 46) + Table.pad("server", 19) + Table.pad("points", 9) + Table.pad("accepted/s", 12)
                + Table.pad("delivered/s", 13) + Table.pad("call p50/p99/max µs", 24) + Table.pad("calls > 1 ms", 14)
                + "counted")
        var cases: [(key: String, name: String, server: String, row: Row?)] = [
            ("mlex", "mlexchange run.log_metric, background sender", "MLExchange", ours["mlex"]),
            ("raw", "raw http.client, 1000-point batches", "MLExchange", ours["raw"]),
            ("raw-10k", "raw http.client, 10,000-point batches", "MLExchange", ours["raw-10k"]),
        ]
        for (server, rows) in [("MLflow 3.18", theirs), ("MLExchange/mlflow", ours)] {
            cases += [
                ("mlflow-sync", "mlflow.log_metric, synchronous", server, rows["mlflow-sync"]),
                ("mlflow-async", "mlflow.log_metric, synchronous=False", server, rows["mlflow-async"]),
                ("mlflow-buffered", "…=False, async buffering 1 s", server, rows["mlflow-buffered"]),
            ]
        }
        for item in cases {
            if item.server.hasPrefix("MLflow") && !hasMLflowServer { continue }
            let prefix = Table.pad(item.name, 46) + Table.pad(item.server, 19)
            guard let row = item.row else {
                print(prefix + "(no answer; see the driver log under \(directory.path))")
                continue
            }
            if let error = row.error {
                print(prefix + "failed: \(error)")
                continue
            }
            print(
                prefix + Table.pad("\(row.points)", 9) + Table.pad(String(format: "%.0f", row.accepted), 12)
                    + Table.pad(String(format: "%.0f", row.delivered), 13)
                    + Table.pad(String(format: "%.1f/%.1f/%.0f", row.p50, row.p99, row.max), 24)
                    + Table.pad("\(row.slowCalls) of \(row.calls)", 14)
                    + (row.verified.map { $0 == row.points ? "yes" : "\($0) of \(row.points)" } ?? "-"))
        }
        let notes = cases.compactMap { item -> String? in
            guard let note = item.row?.note, !note.isEmpty else { return nil }
            return "\(item.key): \(note)"
        }
        if !notes.isEmpty { print("(" + Set(notes).sorted().joined(separator: "; ") + ")") }
        if !hasMLflowServer {
            print(
                "(MLflow's server: skipped; `make bench` installs it into .venv-mlflow and sets MLEX_BENCH_MLFLOW_SERVER)"
            )
        }
        guard let mine = ours["mlex"], mine.error == nil, let raw = ours["raw"], raw.error == nil, raw.delivered > 0
        else { return }
        print(
            String(
                format: "accepted %.0f points/s (goal ≥ 100000: %@; call p99 %.1f µs, longest %.1f ms);"
                    + " flush rate %.0f points/s = %.0f%% of 1000-point raw batches' %.0f (goal ≥ 50%%: %@)",
                mine.accepted, mine.accepted >= 100_000 ? "met" : "NOT met", mine.p99, mine.max / 1000,
                mine.delivered, mine.delivered / raw.delivered * 100, raw.delivered,
                mine.delivered >= raw.delivered / 2 ? "met" : "NOT met")
                + (ours["raw-10k"].flatMap { large in
                    large.error == nil && large.delivered > 0
                        ? String(format: ", %.0f%% of 10,000-point batches'", mine.delivered / large.delivered * 100)
                        : nil
                } ?? ""))
        for (server, source) in [("MLflow 3.18", theirs), ("MLExchange/mlflow", ours)] {
            let ratios = [
                ("synchronous", "mlflow-sync"), ("async", "mlflow-async"), ("async buffered", "mlflow-buffered"),
            ]
            .compactMap { label, key -> String? in
                guard let row = source[key], row.error == nil, row.delivered > 0 else { return nil }
                return String(format: "%.1f× %@", mine.delivered / row.delivered, label)
            }
            if !ratios.isEmpty {
                print("mlexchange's delivered rate vs MLflow's client on \(server): " + ratios.joined(separator: ", "))
            }
        }
    }
}
