import Foundation
import Platform

/// Issue 27's side-by-side run: the SAME MLflow-client workload (apps/bench/mlflow/driver.py,
/// MLflow's own client from .venv) against MLflow's own server (SQLite backend, proxied
/// artifacts) and against MLExchange (users and data in this process, the client talking to the
/// gateway at `/mlflow/<project>`), one after the other so they never share the CPU.
/// Rows: log-batch of 1000 metrics (1 and 4 client processes), single log_metric calls, a
/// filtered search ordered by a metric at `runs` runs (and ours alone at `ourRuns`), the
/// history of a 100k-point metric, a 512 MB artifact up and down. Runs for search are loaded
/// the fastest way each side offers, unmeasured: MLflow's SQLite tables directly, ours through
/// data's API (`SearchScaleBenchmark.load`), with the same params and metrics.
/// Goals (issue 27), printed, never asserted: ≥ 10× MLflow on log-batch and search at 10k runs,
/// ≥ 5× on history, artifacts at least as fast.
struct MLflowBenchmark {
    let directory: URL
    /// .venv-mlflow/bin/mlflow.
    let server: String
    /// .venv/bin/python, with mlflow-skinny.
    let python: String
    let runs: Int
    let ourRuns: Int
    let batches: Int
    let metrics: Int
    let searches: Int
    let historyPoints: Int
    let artifactMegabytes: Int

    static let rows = "client-cost,log-batch-1,log-batch-4,log-metric,search,history,artifact"

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        let reference = try await MLflowReferenceServer.start(
            executable: server, directory: directory.appendingPathComponent("mlflow"), runs: runs)
        let theirs: [String: Row]
        do {
            theirs = try await drive(
                reference.url, token: nil, searchExperiment: reference.searchExperiment, rows: Self.rows, name: "mlflow"
            )
            reference.stop()
        } catch {
            reference.stop()
            throw error
        }

        let state = directory.appendingPathComponent("mlex")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let services = try await BenchServices.start(directory: state)
        defer { services.stop() }
        let gateway = try await services.startGateway(directory: state)
        defer { gateway.task.cancel() }
        let client = services.client
        let project = try await client.call("POST", "/v1/projects", #"{"name": "mlflow"}"#)["id"]?.stringValue ?? ""
        let experiment =
            try await client.call("POST", "/v1/projects/\(project)/experiments", #"{"name": "search"}"#)["id"]?
            .stringValue ?? ""
        let loader = SearchScaleBenchmark(directory: state, stages: [])
        var began = ContinuousClock.now
        try await loader.load(0..<runs, experiment: experiment, client: client)
        print(
            String(format: "(loaded %d runs through data's API in %.1f s)", runs, (ContinuousClock.now - began).seconds)
        )
        let trackingURI = "\(gateway.url)/mlflow/\(project)"
        var ours = try await drive(
            trackingURI, token: client.token, searchExperiment: experiment, rows: Self.rows, name: "mlex")
        if ourRuns > runs {
            began = ContinuousClock.now
            try await loader.load(runs..<ourRuns, experiment: experiment, client: client)
            print(
                String(
                    format: "(loaded runs %d…%d through data's API in %.1f s)", runs, ourRuns,
                    (ContinuousClock.now - began).seconds))
            let large = try await drive(
                trackingURI, token: client.token, searchExperiment: experiment, rows: "search", name: "mlex-large")
            ours["search-large"] = large["search"]
        }
        printTable(theirs: theirs, ours: ours)
    }

    /// One row of the driver's answer.
    struct Row {
        let operations: Int
        let seconds: Double
        let latencies: [Double]
        let bytes: Int64
        let note: String

        func percentile(_ fraction: Double) -> Double {
            let sorted = latencies.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        }
    }

    /// Runs the driver against `trackingURI`; its rows by name.
    private func drive(
        _ trackingURI: String, token: String?, searchExperiment: String, rows: String, name: String
    ) async throws -> [String: Row] {
        let scratch = directory.appendingPathComponent("driver-\(name)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var environment = ["MLFLOW_TRACKING_URI": trackingURI, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"]
        if let token { environment["MLFLOW_TRACKING_TOKEN"] = token }
        let answer = try await runPythonJSON(
            python,
            [
                "apps/bench/mlflow/driver.py", "--rows", rows, "--search-experiment", searchExperiment,
                "--batches", String(batches), "--metrics", String(metrics), "--searches", String(searches),
                "--history-points", String(historyPoints), "--artifact-mb", String(artifactMegabytes),
                "--scratch", scratch.path,
            ], environment: environment, log: directory.appendingPathComponent("driver-\(name).log"))
        var found: [String: Row] = [:]
        for row in answer["rows"]?.arrayValue ?? [] {
            guard let key = row["row"]?.stringValue else { continue }
            found[key] = Row(
                operations: Int(row["operations"]?.intValue ?? 0), seconds: row["seconds"]?.numberValue ?? 0,
                latencies: row["latencies"]?.arrayValue?.compactMap(\.numberValue) ?? [],
                bytes: row["bytes"]?.intValue ?? 0, note: row["note"]?.stringValue ?? "")
        }
        return found
    }

    /// Each case's rate on both sides, their ratio (ours ÷ MLflow's) and latency percentiles.
    private func printTable(theirs: [String: Row], ours: [String: Row]) {
        struct Case {
            let key: String
            let name: String
            let unit: String
            /// Units per operation (metrics per log-batch call, points per history read), or
            /// nil for bytes (MB/s).
            let perOperation: Double?
        }
        let cases = [
            Case(key: "log-batch-1", name: "log_batch ×1000 metrics, 1 client", unit: "metrics/s", perOperation: 1000),
            Case(key: "log-batch-4", name: "log_batch ×1000 metrics, 4 clients", unit: "metrics/s", perOperation: 1000),
            Case(key: "log-metric", name: "log_metric, one point a call", unit: "calls/s", perOperation: 1),
            Case(key: "search", name: "search_runs, filter + order, \(runs) runs", unit: "searches/s", perOperation: 1),
            Case(
                key: "search-large", name: "search_runs, filter + order, \(ourRuns) runs", unit: "searches/s",
                perOperation: 1),
            Case(
                key: "history", name: "get_metric_history, \(historyPoints) points", unit: "points/s",
                perOperation: Double(historyPoints)),
            Case(key: "artifact-up", name: "log_artifact, \(artifactMegabytes) MB", unit: "MB/s", perOperation: nil),
            Case(
                key: "artifact-down", name: "download_artifacts, \(artifactMegabytes) MB", unit: "MB/s",
                perOperation: nil),
        ]
        print(
            "\n## MLflow client: MLflow 3.18.0 server (SQLite, proxied artifacts) vs MLExchange through the gateway"
                + "  (goals: ≥ 10× on log_batch and search at 10k runs, ≥ 5× on history, artifacts ≥ 1×)")
        print(
            Table.pad("case", 44) + Table.pad("unit", 11) + Table.pad("MLflow", 12) + Table.pad("us", 12)
                + Table.pad("ratio", 9) + Table.pad("MLflow p50/p99 ms", 20) + "us p50/p99 ms")
        func rate(_ row: Row?, _ item: Case) -> Double? {
            guard let row, row.seconds > 0 else { return nil }
            guard let perOperation = item.perOperation else { return Double(row.bytes) / 1_048_576 / row.seconds }
            return Double(row.operations) * perOperation / row.seconds
        }
        func latency(_ row: Row?) -> String {
            guard let row else { return "-" }
            return String(format: "%.1f/%.1f", row.percentile(0.5) * 1000, row.percentile(0.99) * 1000)
        }
        for item in cases where ours[item.key] != nil || theirs[item.key] != nil {
            let mine = rate(ours[item.key], item)
            let reference = rate(theirs[item.key], item)
            let ratio = mine.flatMap { mine in reference.map { String(format: "%.1f×", mine / $0) } } ?? "-"
            print(
                Table.pad(item.name, 44) + Table.pad(item.unit, 11)
                    + Table.pad(reference.map { String(format: "%.0f", $0) } ?? "-", 12)
                    + Table.pad(mine.map { String(format: "%.0f", $0) } ?? "-", 12) + Table.pad(ratio, 9)
                    + Table.pad(latency(theirs[item.key]), 20) + latency(ours[item.key]))
        }
        let notes = ["search", "search-large", "history"].compactMap { key -> String? in
            guard let note = ours[key]?.note else { return nil }
            return "\(key): MLflow \(theirs[key]?.note ?? "-"), us \(note)"
        }
        if !notes.isEmpty { print("(" + notes.joined(separator: "; ") + ")") }
        if let cost = ours["client-cost"] {
            // The client's own work bounds every log_batch row, whatever the server.
            print(
                String(
                    format:
                        "(MLflow's client alone: %.1f ms to check and encode 1000 metrics, at most %.0f metrics/s per client process)",
                    cost.percentile(0.5) * 1000, 1000 / max(cost.percentile(0.5), 1e-9)))
        }
    }
}
