import AsyncHTTPClient
import CSQLite
import DataService
import Foundation
import Hummingbird
import Logging
import NIOCore
import Platform
import Store
import UsersService

/// The data service's hot paths through its real HTTP API, with the real users service issuing
/// the token (both in this process, on loopback ports):
/// - metric ingest in batches of 1000 points beside raw SQLite inserting the same rows in the
///   same batches with the same durability;
/// - run search over `runs` runs with 20 params and 10 metrics each, filtering on one metric
///   and one param;
/// - the downsampled view (1000 buckets) of the `points`-point series the ingest wrote.
struct DataBenchmark {
    let directory: URL
    let points: Int
    let runs: Int
    let requests = 200

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let usersPort = try LoopbackPort.free()
        let dataPort = try LoopbackPort.free()
        let environment = [
            "MLEX_USERS_BCRYPT_COST": "4", "MLEX_ADMIN_EMAIL": "root@bench.example", "MLEX_USERS_URL": "http://127.0.0.1:\(usersPort)",
            "MLEX_DB_DIR": FileManager.default.currentDirectoryPath + "/db", "MLEX_LOG_LEVEL": "error",
        ]
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let usersSettings = try await ServiceSettings.forTesting(.users, stateDirectory: directory, extraSettings: UsersApp.extraSettings, environment: environment.merging(["MLEX_USERS_PORT": String(usersPort)]) { $1 })
        let users = try await UsersApp.buildApplication(settings: usersSettings, logger: logger)
        let usersTask = Task { try await users.runService() }
        try await Task.sleep(for: .milliseconds(500))
        let dataSettings = try await ServiceSettings.forTesting(.data, stateDirectory: directory, extraSettings: DataApp.extraSettings, environment: environment.merging(["MLEX_DATA_PORT": String(dataPort)]) { $1 })
        var dataTask = try await start(DataApp.buildApplication(settings: dataSettings, logger: logger))
        defer {
            usersTask.cancel()
            dataTask.cancel()
        }

        let client = APIClient(base: "http://127.0.0.1:\(dataPort)")
        _ = try await APIClient(base: "http://127.0.0.1:\(usersPort)").call("POST", "/v1/users", #"{"email": "ada@bench.example", "password": "a long enough pass", "displayName": "Ada"}"#)
        let session = try await APIClient(base: "http://127.0.0.1:\(usersPort)").call("POST", "/v1/sessions", #"{"email": "ada@bench.example", "password": "a long enough pass"}"#)
        client.token = session["accessToken"]?.stringValue
        let project = try await client.call("POST", "/v1/projects", #"{"name": "bench"}"#)["id"]!.stringValue!
        let experiment = try await client.call("POST", "/v1/projects/\(project)/experiments", #"{"name": "bench"}"#)["id"]!.stringValue!
        let run = try await client.call("POST", "/v1/experiments/\(experiment)/runs", "{}")["id"]!.stringValue!

        // Ingest: the same rows through the service and into raw SQLite.
        let bodies = stride(from: 0, to: points, by: 1000).map { start in
            "{\"points\": [" + (start..<min(start + 1000, points)).map { #"{"key": "loss", "value": \#(Double(start + $0 % 977) / 1000), "step": \#($0), "timestamp": \#(1_700_000_000_000 + $0)}"# }.joined(separator: ",") + "]}"
        }
        var raw = Measurement(name: "raw SQLite, 1000 rows per transaction", operations: points)
        let rawTable = try RawMetricTable(path: directory.appendingPathComponent("raw.sqlite").path)
        let rawStart = ContinuousClock.now
        for start in stride(from: 0, to: points, by: 1000) {
            let began = ContinuousClock.now
            rawTable.insert(run: run, key: "loss", range: start..<min(start + 1000, points))
            raw.latencies.append(ContinuousClock.now - began)
        }
        raw.elapsed = ContinuousClock.now - rawStart
        var ingest = Measurement(name: "POST /v1/runs/{id}/metrics, 1000 points", operations: points)
        let ingestStart = ContinuousClock.now
        for body in bodies {
            let began = ContinuousClock.now
            try await client.call("POST", "/v1/runs/\(run)/metrics", body)
            ingest.latencies.append(ContinuousClock.now - began)
        }
        ingest.elapsed = ContinuousClock.now - ingestStart
        Table.printRates(title: "Data: metric ingest, \(points) points in batches of 1000 (p50/p99 per batch)", rows: [raw, ingest], reference: "raw SQLite, same rows, WAL, synchronous=FULL", unit: "points/s")
        print(String(format: "ingest through HTTP reaches %.0f%% of raw SQLite's points/s", (Double(points) / ingest.elapsed.seconds) / (Double(points) / raw.elapsed.seconds) * 100))

        let downsampled = try await timed("GET downsampled, \(points) points → 1000 buckets", requests) { _ in
            try await client.call("GET", "/v1/runs/\(run)/metrics/downsampled?key=loss&buckets=1000")
        }
        let history = try await timed("GET history, a page of 1000 points", requests) { request in
            try await client.call("GET", "/v1/runs/\(run)/metrics/history?key=loss&limit=1000&after=\(request * 997 % max(1, points - 1000))")
        }
        Table.printRates(title: "Data: reading a \(points)-point series over HTTP (goal: downsampled p50 < 50 ms)", rows: [history, downsampled], reference: "a history page", unit: "requests/s")

        // Search: runs written straight into the service's store (as the service writes them,
        // 100k HTTP creations would only time the loader), then searched over HTTP. The loader
        // opens the store with the service's own collection definitions, so it keeps the key/
        // value index and the planner statistics as the service would.
        let store = try SQLiteDocumentStore(path: directory.appendingPathComponent("data/store.sqlite").path)
        try await CollectionCatalog.load(domain: "data", from: URL(fileURLWithPath: "db", isDirectory: true)).apply(to: store)
        let loadStart = ContinuousClock.now
        for batch in stride(from: 0, to: runs, by: 1000) {
            try await store.batch((batch..<min(batch + 1000, runs)).map { .insert(runDocument($0, project: project, experiment: experiment), into: "runs") })
        }
        print(String(format: "\n(loaded %d runs with 20 params and 10 metrics in %.1f s)", runs, (ContinuousClock.now - loadStart).seconds))
        // The loader's connection gathered the planner statistics; a running service reads
        // them when it opens its store, as it does after a restart.
        dataTask.cancel()
        _ = await dataTask.result
        dataTask = try await start(DataApp.buildApplication(settings: dataSettings, logger: logger))
        var matched = 0
        let search = try await timed("search: metrics.m3 > x and params.p7 = v", requests) { request in
            let filter = "metrics.m3 > \(0.9 + Double(request % 9) / 100) and params.p7 = 'v\(request % 10)'"
            let body: JSONValue = ["projectId": .string(project), "filter": .string(filter), "orderBy": ["metrics.m3 desc"], "limit": 100]
            matched = try await client.call("POST", "/v1/runs/search", body.jsonText)["items"]?.arrayValue?.count ?? 0
        }
        Table.printRates(title: "Data: run search over \(runs) runs, top 100 by the metric (goal: p50 < 50 ms)", rows: [search], reference: "-", unit: "searches/s")
        print("(the last search returned \(matched) runs)")
    }

    /// Runs `app` until the task is cancelled; returns once it has had time to listen.
    private func start(_ app: sending some ApplicationProtocol) async throws -> Task<Void, any Error> {
        let task = Task { try await app.runService() }
        try await Task.sleep(for: .milliseconds(500))
        return task
    }

    /// `count` calls of `body`, each timed.
    private func timed(_ name: String, _ count: Int, _ body: (Int) async throws -> Void) async throws -> Measurement {
        var measurement = Measurement(name: name, operations: count)
        let start = ContinuousClock.now
        for index in 0..<count {
            let began = ContinuousClock.now
            try await body(index)
            measurement.latencies.append(ContinuousClock.now - began)
        }
        measurement.elapsed = ContinuousClock.now - start
        return measurement
    }

    /// Run `index` as the service stores it: 20 params p0…p19 with 10 values each, 10 metrics m0…m9 in [0, 1).
    private func runDocument(_ index: Int, project: String, experiment: String) -> JSONValue {
        var params: [String: JSONValue] = [:]
        var metrics: [String: JSONValue] = [:]
        for param in 0..<20 { params["p\(param)"] = .string("v\((index / (param + 1)) % 10)") }
        for metric in 0..<10 { metrics["m\(metric)"] = .double(Double((index * (metric + 7919)) % 10007) / 10007) }
        return [
            "id": .string(ID.make()), "projectId": .string(project), "experimentId": .string(experiment), "name": .string("run-\(index)"),
            "status": "finished", "startTime": .string(Timestamp.now), "createdBy": "bench", "params": .object(params), "tags": [:],
            "metrics": .object(metrics), "metricSummaries": [:], "lifecycle": "active", "source": [:],
        ]
    }
}

/// The reference for ingest: a plain table of metric rows, one prepared INSERT per point.
final class RawMetricTable {
    private var handle: OpaquePointer?
    private var insert: OpaquePointer?

    init(path: String) throws {
        guard sqlite3_open(path, &handle) == SQLITE_OK else { throw CocoaError(.fileReadUnknown) }
        sqlite3_exec(handle, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE metrics (run_id TEXT, key TEXT, step INTEGER, timestamp INTEGER, value REAL); CREATE INDEX metrics_series ON metrics (run_id, key, step)", nil, nil, nil)
        sqlite3_prepare_v2(handle, "INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", -1, &insert, nil)
    }

    deinit {
        sqlite3_finalize(insert)
        sqlite3_close(handle)
    }

    func insert(run: String, key: String, range: Range<Int>) {
        sqlite3_exec(handle, "BEGIN", nil, nil, nil)
        for index in range {
            sqlite3_reset(insert)
            sqlite3_bind_text(insert, 1, run, -1, csqlite_transient())
            sqlite3_bind_text(insert, 2, key, -1, csqlite_transient())
            sqlite3_bind_int64(insert, 3, Int64(index))
            sqlite3_bind_int64(insert, 4, 1_700_000_000_000 + Int64(index))
            sqlite3_bind_double(insert, 5, Double(index % 977) / 1000)
            precondition(sqlite3_step(insert) == SQLITE_DONE)
        }
        precondition(sqlite3_exec(handle, "COMMIT", nil, nil, nil) == SQLITE_OK)
    }
}

/// JSON over HTTP to one service, with a bearer token once signed in.
final class APIClient: @unchecked Sendable {
    let base: String
    var token: String?

    init(base: String) {
        self.base = base
    }

    @discardableResult
    func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        guard response.status.code < 300 else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(method) \(path): \(response.status) \(text.prefix(300))"]) }
        return text.isEmpty ? .null : try JSONValue.parse(text)
    }
}
