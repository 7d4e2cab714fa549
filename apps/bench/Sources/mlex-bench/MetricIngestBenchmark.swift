import Foundation
import Platform
import SQLite

/// Metric ingest through the data service's HTTP API (issue 25, parts 2 and 5), each row beside
/// raw SQLite inserting the same rows in the same run with the same durability (WAL,
/// synchronous=FULL):
/// - batches of 1000 points from 1 client, and from 4 concurrent clients each on its own run
///   (raw: 4 connections to one file, one writer thread each);
/// - single-point requests from 1 and 4 clients (raw: one row per transaction);
/// - disk: the store's bytes per metric point, and per run for runs with 20 params and 10
///   metrics of one point each, beside the same runs in MLflow's tables.
///
/// MLflow's own numbers (issue 25, same machine class, not measured here): 6.8–6.9k points/s
/// with 1 client, 9.8–10.8k with 4, 88–108 single-point requests/s, ~6 KB per run.
struct MetricIngestBenchmark {
    let client: APIClient
    let directory: URL
    let experiment: String
    let points: Int
    let singles: Int
    let sizeRuns: Int

    static let mlflowPointsPerSecond = (oneClient: 6_900.0, fourClients: 10_800.0, singles: 108.0)

    var storePath: String { directory.appendingPathComponent("data/store.sqlite").path }

    /// Runs every part; returns the run whose `loss` series holds `points` points.
    func run() async throws -> String {
        let before = try StoreSize.checkpointed(storePath)
        let single = try await batches(clients: 1)
        let batched = try StoreSize.checkpointed(storePath)
        _ = try await batches(clients: 4)
        let afterBatches = try StoreSize.checkpointed(storePath)
        try await singlePoints(clients: 1)
        try await singlePoints(clients: 4)
        let afterSingles = try StoreSize.checkpointed(storePath)
        let rawFile = try StoreSize.checkpointed(directory.appendingPathComponent("raw-1.sqlite").path)
        print(
            String(
                format:
                    "\nstore bytes per metric point, batches of 1000: %.1f (1 client), %.1f (all %d batched points);"
                    + " raw SQLite table with its index: %.1f",
                Double(batched - before) / Double(points), Double(afterBatches - before) / Double(2 * points),
                2 * points, Double(rawFile) / Double(points)))
        print(
            String(
                format: "store bytes per metric point logged one per request: %.1f",
                Double(afterSingles - afterBatches) / Double(2 * singles)))
        try StoreSize.printBreakdown(storePath, title: "store pages by collection after ingest")
        try await bytesPerRun()
        return single
    }

    // MARK: - Batches of 1000

    /// `points` points in batches of 1000 split over `clients` runs written concurrently, through
    /// HTTP and raw SQLite; returns the first client's run.
    private func batches(clients: Int) async throws -> String {
        let perClient = points / clients
        let runs = try await newRuns(clients)
        let raw = try await RawWriters.measure(
            name: "raw SQLite, \(clients) writer\(clients > 1 ? "s" : ""), 1000 rows per transaction",
            paths: (0..<clients).map { _ in directory.appendingPathComponent("raw-\(clients).sqlite").path },
            runs: runs, perWriter: perClient, rowsPerTransaction: 1000)
        let bodies = stride(from: 0, to: perClient, by: 1000).map { start in
            Self.body(key: "loss", range: start..<min(start + 1000, perClient))
        }
        let service = try await concurrently(
            "POST metrics, \(clients) client\(clients > 1 ? "s" : ""), 1000 points", clients: clients, runs: runs,
            bodies: bodies, pointsPerBody: 1000)
        let mlflow = clients == 1 ? Self.mlflowPointsPerSecond.oneClient : Self.mlflowPointsPerSecond.fourClients
        report(
            title: "Data: metric ingest, \(clients) client\(clients > 1 ? "s" : "") each on its own run, "
                + "\(perClient * clients) points in batches of 1000 (p50/p99 per batch)",
            raw: raw, service: service, mlflow: mlflow, unit: "points/s")
        return runs[0]
    }

    // MARK: - Single points

    private func singlePoints(clients: Int) async throws {
        let perClient = singles / clients
        let runs = try await newRuns(clients)
        let raw = try await RawWriters.measure(
            name: "raw SQLite, \(clients) writer\(clients > 1 ? "s" : ""), 1 row per transaction",
            paths: (0..<clients).map { _ in directory.appendingPathComponent("raw-single-\(clients).sqlite").path },
            runs: runs, perWriter: perClient, rowsPerTransaction: 1)
        let bodies = (0..<perClient).map { Self.body(key: "loss", range: $0..<($0 + 1)) }
        let service = try await concurrently(
            "POST metrics, \(clients) client\(clients > 1 ? "s" : ""), 1 point", clients: clients, runs: runs,
            bodies: bodies, pointsPerBody: 1)
        report(
            title: "Data: single-point requests, \(clients) client\(clients > 1 ? "s" : "") each on its own run, "
                + "\(perClient * clients) requests",
            raw: raw, service: service, mlflow: clients == 1 ? Self.mlflowPointsPerSecond.singles : nil,
            unit: "points/s")
    }

    // MARK: - Bytes per run

    /// Runs with 20 params and 10 metrics of one point each (one request of 10 points), the
    /// shape issue 25 measured at ~6 KB per run in MLflow.
    private func bytesPerRun() async throws {
        guard sizeRuns > 0 else { return }
        let before = try StoreSize.checkpointed(storePath)
        let params = (0..<20).map { #""p\#($0)": "v\#($0 % 10)""# }.joined(separator: ", ")
        let metrics = (0..<10).map { #"{"key": "m\#($0)", "value": 0.\#($0)5, "step": 0}"# }.joined(separator: ", ")
        for index in 0..<sizeRuns {
            let run =
                try await client.call(
                    "POST", "/v1/experiments/\(experiment)/runs", #"{"name": "size-\#(index)", "params": {\#(params)}}"#
                )[
                    "id"]?.stringValue ?? ""
            try await client.call("POST", "/v1/runs/\(run)/metrics", #"{"points": [\#(metrics)]}"#)
        }
        let after = try StoreSize.checkpointed(storePath)
        let mlflowPath = directory.appendingPathComponent("mlflow-shape.sqlite").path
        let mlflow = try MLflowShapedTables(path: mlflowPath)
        for index in 0..<sizeRuns { try mlflow.insertRun(index: index) }
        let mlflowBytes = try StoreSize.checkpointed(mlflowPath)
        print(
            String(
                format: "\nbytes per run with 20 params and 10 one-point metrics (%d runs): store %.0f, "
                    + "MLflow's tables in SQLite %.0f (%.2f×; issue 25 measured MLflow at ~6 KB)",
                sizeRuns, Double(after - before) / Double(sizeRuns), Double(mlflowBytes) / Double(sizeRuns),
                Double(after - before) / Double(mlflowBytes)))
        try StoreSize.printBreakdown(storePath, title: "store pages by collection after the size runs")
    }

    // MARK: - Helpers

    private func newRuns(_ count: Int) async throws -> [String] {
        var runs: [String] = []
        for _ in 0..<count {
            runs.append(
                try await client.call("POST", "/v1/experiments/\(experiment)/runs", "{}")["id"]?.stringValue ?? "")
        }
        return runs
    }

    /// Every body to each run, one client per run, all clients at once.
    private func concurrently(
        _ name: String, clients: Int, runs: [String], bodies: [String], pointsPerBody: Int
    ) async throws -> Measurement {
        var row = Measurement(name: name, operations: bodies.count * clients * pointsPerBody)
        let start = ContinuousClock.now
        row.latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for run in runs.prefix(clients) {
                group.addTask { [client] in
                    var latencies: [Duration] = []
                    for body in bodies {
                        let began = ContinuousClock.now
                        try await client.call("POST", "/v1/runs/\(run)/metrics", body)
                        latencies.append(ContinuousClock.now - began)
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        row.elapsed = ContinuousClock.now - start
        return row
    }

    private func report(title: String, raw: Measurement, service: Measurement, mlflow: Double?, unit: String) {
        Table.printRates(
            title: title, rows: [raw, service], reference: "raw SQLite, same rows, WAL, synchronous=FULL", unit: unit)
        let rate = Double(service.operations) / service.elapsed.seconds
        let rawRate = Double(raw.operations) / raw.elapsed.seconds
        print(
            String(format: "the service reaches %.0f%% of raw SQLite's %@", rate / rawRate * 100, unit)
                + (mlflow.map { String(format: " and %.1f× MLflow's %.0f (issue 25)", rate / $0, $0) } ?? ""))
    }

    /// A request body of `value(i)` at step i for every i in `range`.
    static func body(key: String, range: Range<Int>) -> String {
        "{\"points\": ["
            + range.map {
                #"{"key": "\#(key)", "value": \#(Double($0 % 977) / 1000), "step": \#($0), "timestamp": \#(1_700_000_000_000 + $0)}"#
            }.joined(separator: ",") + "]}"
    }
}
