import Foundation
import Platform
import SQLite

/// Run search as a project grows, loaded the way users load it: each run created over HTTP with
/// 20 params, then its 10 metrics logged (one point each), by 4 concurrent clients. After each
/// stage (10k, 30k, 100k runs by default) it times the first search after the load, then each
/// search shape over `requests` searches, from selective to broad; then the bytes the store
/// holds per run, and a metric write's latency alone and beside two clients searching.
struct SearchScaleBenchmark {
    let directory: URL
    let stages: [Int]
    let requests = 200
    let loaders = 4

    /// One filter the runs table sends, with the values varied per request.
    struct Shape: Sendable {
        let name: String
        let filter: @Sendable (Int) -> String
        let orderBy: String
    }

    static let shapes = [
        Shape(
            name: "m3 > x and p7 = v, by m3 (10%·10%)",
            filter: { "metrics.m3 > \(0.9 + Double($0 % 9) / 100) and params.p7 = 'v\($0 % 10)'" },
            orderBy: "metrics.m3 desc"),
        Shape(
            name: "m3 > 0.995 and p7 = v, by m3 (rare)",
            filter: { "metrics.m3 > 0.995 and params.p7 = 'v\($0 % 10)'" }, orderBy: "metrics.m3 desc"),
        Shape(
            name: "m1 > 0.5 and p0 = v and p19 = w, by m1",
            filter: { "metrics.m1 > 0.5 and params.p0 = 'v\($0 % 10)' and params.p19 = 'v\($0 / 10 % 10)'" },
            orderBy: "metrics.m1 desc"),
        Shape(
            name: "m3 >= 0 (all runs), by m3", filter: { _ in "metrics.m3 >= 0" }, orderBy: "metrics.m3 desc"),
        Shape(name: "p7 = v, by m3", filter: { "params.p7 = 'v\($0 % 10)'" }, orderBy: "metrics.m3 desc"),
        Shape(name: "p7 = v, newest first", filter: { "params.p7 = 'v\($0 % 10)'" }, orderBy: "startTime desc"),
    ]

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let services = try await BenchServices.start(directory: directory)
        defer { services.stop() }
        let client = services.client
        let project = try await client.call("POST", "/v1/projects", #"{"name": "bench"}"#)["id"]?.stringValue ?? ""
        let experiment =
            try await client.call("POST", "/v1/projects/\(project)/experiments", #"{"name": "bench"}"#)["id"]?
            .stringValue ?? ""

        var loaded = 0
        for stage in stages {
            let start = ContinuousClock.now
            try await load(loaded..<stage, experiment: experiment, client: client)
            print(
                String(
                    format: "\n(loaded runs %d…%d over HTTP with %d clients in %.1f s: %.0f runs/s)", loaded, stage,
                    loaders, (ContinuousClock.now - start).seconds,
                    Double(stage - loaded) / (ContinuousClock.now - start).seconds))
            loaded = stage
            var rows: [Measurement] = []
            var first = Measurement(name: "first search after the load", operations: 1)
            let began = ContinuousClock.now
            try await search(Self.shapes[0], 0, project: project, client: client)
            first.elapsed = ContinuousClock.now - began
            first.latencies = [first.elapsed]
            rows.append(first)
            for shape in Self.shapes {
                var matched = 0
                var row = try await measure(shape.name, count: requests) { request in
                    matched = try await search(shape, request, project: project, client: client)
                }
                row.name += " [\(matched)]"
                rows.append(row)
            }
            Table.printRates(
                title: "Data: run search at \(stage) runs over HTTP, top 100 (goal: p50 < 50 ms, p99 < 150 ms)",
                rows: rows, reference: "the first search after loading; [n] = runs the last search returned",
                unit: "searches/s")
        }
        try storeSize(runs: loaded)
        try await writesBesideSearches(project: project, experiment: experiment, client: client)
    }

    /// Creates runs `range` (params at creation, then one batch of 10 metrics each), with
    /// `loaders` clients taking runs in turn. The web benchmark loads its project with it too.
    func load(_ range: Range<Int>, experiment: String, client: APIClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for loader in 0..<loaders {
                group.addTask {
                    for index in stride(from: range.lowerBound + loader, to: range.upperBound, by: loaders) {
                        var params: [String: JSONValue] = [:]
                        for param in 0..<20 { params["p\(param)"] = .string("v\((index / (param + 1)) % 10)") }
                        let body: JSONValue = ["name": .string("run-\(index)"), "params": .object(params)]
                        let run = try await client.call("POST", "/v1/experiments/\(experiment)/runs", body.jsonText)
                        let points = (0..<10).map { metric -> JSONValue in
                            let value = Double((index * (metric + 7919)) % 10007) / 10007
                            return ["key": .string("m\(metric)"), "value": .double(value), "step": 0]
                        }
                        let id = run["id"]?.stringValue ?? ""
                        try await client.call(
                            "POST", "/v1/runs/\(id)/metrics", (["points": .array(points)] as JSONValue).jsonText)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// One search, its whole answer parsed; returns how many runs it returned.
    @discardableResult
    private func search(_ shape: Shape, _ request: Int, project: String, client: APIClient) async throws -> Int {
        try await client.call("POST", "/v1/runs/search", searchBody(shape, request, project))["items"]?.arrayValue?
            .count ?? 0
    }

    /// Bytes on disk per run, the write-ahead log folded in first, with the largest tables.
    private func storeSize(runs: Int) throws {
        let path = directory.appendingPathComponent("data/store.sqlite").path
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        print(
            String(
                format:
                    "\n## Data: store size at %d runs: %.1f MB, %.0f bytes per run (20 params, 10 one-point metrics)",
                runs, Double(bytes) / 1e6, Double(bytes) / Double(max(runs, 1))))
        let tables = try connection.query(
            "SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 8")
        for row in tables {
            let size = Double(row[1].integer ?? 0)
            print(
                Table.pad(row[0].text ?? "?", 44) + String(format: "%8.0f bytes per run", size / Double(max(runs, 1))))
        }
    }

    /// A single-point metric write's latency alone, then while two clients search without pause.
    /// The searching clients are processes of their own (apps/bench/search_client.py), as real
    /// clients are: in this process their parsing of ~0.5 MB answers took the services' own
    /// threads, and the write waited for them rather than for the service.
    private func writesBesideSearches(project: String, experiment: String, client: APIClient) async throws {
        let run = try await client.call("POST", "/v1/experiments/\(experiment)/runs", "{}")["id"]?.stringValue ?? ""
        func write(_ step: Int) async throws {
            try await client.call(
                "POST", "/v1/runs/\(run)/metrics", #"{"points": [{"key": "w", "value": 1, "step": \#(step)}]}"#)
        }
        let idle = try await measure("metric write, idle", count: requests) { try await write($0) }
        let searchers = try (0..<2).map { searcher in
            try startSearchClient(
                client, bodies: (0..<20).map { searchBody(Self.shapes[0], 2 * $0 + searcher, project) })
        }
        // Both searching before the first write is timed.
        try await Task.sleep(for: .seconds(2))
        let busy = try await measure("metric write, 2 clients searching", count: requests) {
            try await write(requests + $0)
        }
        var searched: [String] = []
        for (process, input, output) in searchers {
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
            let count = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            guard process.terminationStatus == 0 else { throw BenchSetupError("a search client failed: \(count)") }
            searched.append(count.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        Table.printRates(
            title: "Data: a metric write beside concurrent searches (goal: p99 < 3× idle p99)", rows: [idle, busy],
            reference: "the same write with nothing else running")
        let ratio = String(format: "%.2f", busy.percentile(0.99) / idle.percentile(0.99))
        let counts = searched.joined(separator: " and ")
        print("p99 beside searches is \(ratio)× the idle p99 (the clients searched \(counts) times)")
    }

    private func searchBody(_ shape: Shape, _ request: Int, _ project: String) -> String {
        let body: JSONValue = [
            "projectId": .string(project), "filter": .string(shape.filter(request)),
            "orderBy": [.string(shape.orderBy)], "limit": 100,
        ]
        return body.jsonText
    }

    /// A search client process sending `bodies` in turn until its standard input closes.
    private func startSearchClient(_ client: APIClient, bodies: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments =
            ["apps/bench/search_client.py", "\(client.base)/v1/runs/search", client.token ?? ""] + bodies
        let (input, output) = (Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        return (process, input, output)
    }
}
