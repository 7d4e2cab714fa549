import Foundation
import Platform
import SQLite
import Store

/// The data service's hot paths through its real HTTP API, with the real users service issuing
/// the token (both in this process, on loopback ports):
/// - metric ingest and disk use (`MetricIngestBenchmark`), each beside raw SQLite inserting the
///   same rows with the same durability;
/// - run search over `runs` runs with 20 params and 10 metrics each, filtering on one metric
///   and one param;
/// - the downsampled view (1000 buckets) of the `points`-point series the ingest wrote.
struct DataBenchmark {
    let directory: URL
    let points: Int
    let runs: Int
    /// Single-point requests in the ingest part, and runs written to measure bytes per run.
    var singles = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_DATA_SINGLES"] ?? "") ?? 2000
    var sizeRuns = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_DATA_SIZE_RUNS"] ?? "") ?? 2000
    let requests = 200

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var services = try await BenchServices.start(directory: directory)
        defer { services.stop() }
        let client = services.client
        let project = try await client.call("POST", "/v1/projects", #"{"name": "bench"}"#)["id"]!.stringValue!
        let experiment = try await client.call("POST", "/v1/projects/\(project)/experiments", #"{"name": "bench"}"#)[
            "id"]!.stringValue!
        // Ingest (1 and 4 clients, batches and single points, beside raw SQLite) and disk use.
        let run = try await MetricIngestBenchmark(
            client: client, directory: directory, experiment: experiment, points: points, singles: singles,
            sizeRuns: sizeRuns
        ).run()

        let downsampled = try await measure("GET downsampled, \(points) points → 1000 buckets", count: requests) { _ in
            try await client.call("GET", "/v1/runs/\(run)/metrics/downsampled?key=loss&buckets=1000")
        }
        let history = try await measure("GET history, a page of 1000 points", count: requests) { request in
            try await client.call(
                "GET",
                "/v1/runs/\(run)/metrics/history?key=loss&limit=1000&after=\(request * 997 % max(1, points - 1000))")
        }
        Table.printRates(
            title: "Data: reading a \(points)-point series over HTTP (goal: downsampled p50 < 50 ms)",
            rows: [history, downsampled], reference: "a history page", unit: "requests/s")

        // Search: runs written straight into the service's store (as the service writes them,
        // 100k HTTP creations would only time the loader), then searched over HTTP. The loader
        // opens the store with the service's own collection definitions, so it keeps the key/
        // value index and the planner statistics as the service would.
        let store = try SQLiteDocumentStore(path: directory.appendingPathComponent("data/store.sqlite").path)
        try await CollectionCatalog.load(domain: "data", from: URL(fileURLWithPath: "db", isDirectory: true)).apply(
            to: store)
        let loadStart = ContinuousClock.now
        for batch in stride(from: 0, to: runs, by: 1000) {
            try await store.batch(
                (batch..<min(batch + 1000, runs)).map {
                    .insert(runDocument($0, project: project, experiment: experiment), into: "runs")
                })
        }
        print(
            String(
                format: "\n(loaded %d runs with 20 params and 10 metrics in %.1f s)", runs,
                (ContinuousClock.now - loadStart).seconds))
        // The loader's connection gathered the planner statistics; a running service reads
        // them when it opens its store, as it does after a restart.
        try await services.restartData()
        var matched = 0
        let search = try await measure("search: metrics.m3 > x and params.p7 = v", count: requests) { request in
            let filter = "metrics.m3 > \(0.9 + Double(request % 9) / 100) and params.p7 = 'v\(request % 10)'"
            let body: JSONValue = [
                "projectId": .string(project), "filter": .string(filter), "orderBy": ["metrics.m3 desc"], "limit": 100,
            ]
            matched = try await client.call("POST", "/v1/runs/search", body.jsonText)["items"]?.arrayValue?.count ?? 0
        }
        Table.printRates(
            title: "Data: run search over \(runs) runs, top 100 by the metric (goal: p50 < 50 ms)", rows: [search],
            reference: "-", unit: "searches/s")
        print("(the last search returned \(matched) runs)")
    }

    /// Run `index` as the service stores it: 20 params p0…p19 with 10 values each, 10 metrics m0…m9 in [0, 1).
    private func runDocument(_ index: Int, project: String, experiment: String) -> JSONValue {
        var params: [String: JSONValue] = [:]
        var metrics: [String: JSONValue] = [:]
        for param in 0..<20 { params["p\(param)"] = .string("v\((index / (param + 1)) % 10)") }
        for metric in 0..<10 { metrics["m\(metric)"] = .double(Double((index * (metric + 7919)) % 10007) / 10007) }
        return [
            "id": .string(ID.make()), "projectId": .string(project), "experimentId": .string(experiment),
            "name": .string("run-\(index)"),
            "status": "finished", "startTime": .string(Timestamp.now), "createdBy": "bench", "params": .object(params),
            "tags": [:],
            "metrics": .object(metrics), "metricSummaries": [:], "lifecycle": "active", "source": [:],
        ]
    }
}
