import Foundation
import SQLite

/// The reference for ingest: a plain table of metric rows, one prepared INSERT per point,
/// through the same SQLite wrapper the services use (WAL, synchronous=FULL).
final class RawMetricTable {
    private let connection: SQLiteConnection
    private let insert: SQLiteStatement

    init(path: String) throws {
        connection = try SQLiteConnection(path: path)
        try connection.execute(
            "CREATE TABLE IF NOT EXISTS metrics (run_id TEXT, key TEXT, step INTEGER, timestamp INTEGER, value REAL); "
                + "CREATE INDEX IF NOT EXISTS metrics_series ON metrics (run_id, key, step)"
        )
        insert = try connection.prepare("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)")
    }

    func insert(run: String, key: String, range: Range<Int>) throws {
        try connection.transaction {
            for index in range {
                try insert.run([
                    .text(run), .text(key), .integer(Int64(index)), .integer(1_700_000_000_000 + Int64(index)),
                    .real(Double(index % 977) / 1000),
                ])
            }
        }
    }
}

/// Raw SQLite writers, one connection and one thread each (blocking calls stay off Swift's pool),
/// all started together.
enum RawWriters {
    static func measure(
        name: String, paths: [String], runs: [String], perWriter: Int, rowsPerTransaction: Int
    ) async throws -> Measurement {
        // Opened (and the table created) one after another, before the clock starts.
        let tables = try paths.map { try RawMetricTable(path: $0) }
        let clock = ContinuousClock()
        let start = clock.now
        let results = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for (writer, table) in tables.enumerated() {
                let run = runs[writer]
                group.addTask {
                    try await onThread {
                        var latencies: [Duration] = []
                        for first in stride(from: 0, to: perWriter, by: rowsPerTransaction) {
                            let began = clock.now
                            try table.insert(
                                run: run, key: "loss", range: first..<min(first + rowsPerTransaction, perWriter))
                            latencies.append(clock.now - began)
                        }
                        return latencies
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        var row = Measurement(name: name, operations: perWriter * tables.count)
        row.elapsed = clock.now - start
        row.latencies = results
        return row
    }

    /// Runs `body` on a thread of its own.
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}

extension RawMetricTable: @unchecked Sendable {}  // each writer's table is used by its own thread only

/// On-disk size of a SQLite database once its WAL is folded back into the file.
enum StoreSize {
    /// The file's bytes after a truncating checkpoint, through a second connection (the
    /// service keeps its own open; it is idle while this runs).
    static func checkpointed(_ path: String) throws -> Int64 {
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Bytes of pages per collection (its table and indexes together), largest first, from
    /// SQLite's dbstat table.
    static func printBreakdown(_ path: String, title: String) throws {
        let connection = try SQLiteConnection(path: path)
        let rows = try connection.query("SELECT name, sum(pgsize), count(*) FROM dbstat GROUP BY name")
        var bytes: [String: (size: Int64, pages: Int64)] = [:]
        for row in rows {
            guard let name = row[0].text else { continue }
            // c_<collection>__<index>, k_<collection>__id, sqlite_autoindex_<table>_1
            let table = String(
                name.replacingOccurrences(of: "sqlite_autoindex_", with: "").split(separator: "__").first ?? "")
            bytes[table, default: (0, 0)].size += row[1].integer ?? 0
            bytes[table, default: (0, 0)].pages += row[2].integer ?? 0
        }
        let total = bytes.values.reduce(0) { $0 + $1.size }
        print(
            "\(title) (MB): "
                + bytes.sorted { $0.value.size > $1.value.size }.prefix(8).map {
                    String(format: "%@ %.1f", $0.key, Double($0.value.size) / 1_048_576)
                }.joined(separator: ", ") + String(format: "; total %.1f", Double(total) / 1_048_576))
    }
}

/// The same runs in MLflow's SQL tables (its SQLAlchemy store: runs, params, tags, metrics,
/// latest_metrics with their primary keys and run_uuid indexes), with the four tags MLflow
/// sets on every run: the reference for bytes per run.
final class MLflowShapedTables {
    private let connection: SQLiteConnection

    init(path: String) throws {
        connection = try SQLiteConnection(path: path)
        try connection.execute(
            """
            CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY, name VARCHAR(250), source_type VARCHAR(20),
              source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9),
              start_time BIGINT, end_time BIGINT, deleted_time BIGINT, source_version VARCHAR(50),
              lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER);
            CREATE TABLE params (key VARCHAR(250), value VARCHAR(8000), run_uuid VARCHAR(32), PRIMARY KEY (key, run_uuid));
            CREATE INDEX index_params_run_uuid ON params (run_uuid);
            CREATE TABLE tags (key VARCHAR(250), value VARCHAR(8000), run_uuid VARCHAR(32), PRIMARY KEY (key, run_uuid));
            CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
            CREATE TABLE metrics (key VARCHAR(250), value FLOAT, timestamp BIGINT, run_uuid VARCHAR(32), step BIGINT,
              is_nan BOOLEAN, PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan));
            CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
            CREATE TABLE latest_metrics (key VARCHAR(250), value FLOAT, timestamp BIGINT, step BIGINT, is_nan BOOLEAN,
              run_uuid VARCHAR(32), PRIMARY KEY (key, run_uuid));
            CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
            """)
    }

    func insertRun(index: Int) throws {
        let run = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try connection.transaction {
            try connection.prepare(
                "INSERT INTO runs VALUES (?, ?, 'LOCAL', ?, '', 'bench', 'FINISHED', ?, ?, NULL, '', 'active', ?, 1)"
            )
            .run([
                .text(run), .text("size-\(index)"), .text("train.py"), .integer(now), .integer(now + 1000),
                .text("mlflow-artifacts:/1/\(run)/artifacts"),
            ])
            let param = try connection.prepare("INSERT INTO params VALUES (?, ?, ?)")
            for key in 0..<20 { try param.run([.text("p\(key)"), .text("v\(key % 10)"), .text(run)]) }
            let tag = try connection.prepare("INSERT INTO tags VALUES (?, ?, ?)")
            for (key, value) in [
                ("mlflow.user", "bench"), ("mlflow.source.name", "train.py"), ("mlflow.source.type", "LOCAL"),
                ("mlflow.runName", "size-\(index)"),
            ] {
                try tag.run([.text(key), .text(value), .text(run)])
            }
            let metric = try connection.prepare("INSERT INTO metrics VALUES (?, ?, ?, ?, 0, 0)")
            let latest = try connection.prepare("INSERT INTO latest_metrics VALUES (?, ?, ?, 0, 0, ?)")
            for key in 0..<10 {
                let value = SQLiteValue.real(Double(key) / 10 + 0.05)
                try metric.run([.text("m\(key)"), value, .integer(now), .text(run)])
                try latest.run([.text("m\(key)"), value, .integer(now), .text(run)])
            }
        }
    }
}
