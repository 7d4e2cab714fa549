import CSQLite
import Foundation
import Platform
import Store

/// SQLiteDocumentStore beside the raw SQLite C API doing the same work on the same schema
/// (a JSON text column, an index on json_extract) in the same run.
struct StoreBenchmark {
    let directory: URL
    let documents: Int

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let spec = CollectionSpec("runs", indexes: [.init(["status"]), .init(["name"], unique: true)])
        let texts = (0..<documents).map { document($0) }
        let bytes = Int64(texts.map { $0.1.utf8.count }.reduce(0, +))
        let singles = min(documents, 2000)

        // Ours.
        let store = try SQLiteDocumentStore(path: directory.appendingPathComponent("store.sqlite").path)
        try await store.prepare(spec)
        let values = try texts.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.1.utf8)) }
        var oursSingle = Measurement(name: "store: insert, one per transaction", bytes: bytes / Int64(documents) * Int64(singles), operations: singles)
        var start = ContinuousClock.now
        for value in values[0..<singles] {
            let began = ContinuousClock.now
            try await store.insert(value, into: "runs")
            oursSingle.latencies.append(ContinuousClock.now - began)
        }
        oursSingle.elapsed = ContinuousClock.now - start
        var oursBatch = Measurement(name: "store: insert, batches of 1000", bytes: bytes / Int64(documents) * Int64(documents - singles), operations: documents - singles)
        start = ContinuousClock.now
        for batch in stride(from: singles, to: documents, by: 1000) {
            let began = ContinuousClock.now
            try await store.batch(values[batch..<min(batch + 1000, documents)].map { .insert($0, into: "runs") })
            oursBatch.latencies.append(ContinuousClock.now - began)
        }
        oursBatch.elapsed = ContinuousClock.now - start
        var oursFind = Measurement(name: "store: indexed find (name = ?)", operations: 5000)
        start = ContinuousClock.now
        for index in 0..<5000 {
            let began = ContinuousClock.now
            let found = try await store.find("runs", Query(filter: ["name": .string("run-\(index * 7 % documents)")], limit: 1))
            precondition(found.count == 1)
            oursFind.latencies.append(ContinuousClock.now - began)
        }
        oursFind.elapsed = ContinuousClock.now - start

        // Raw C API, same statements, same durability (WAL, synchronous=FULL).
        let raw = try RawSQLite(path: directory.appendingPathComponent("raw.sqlite").path)
        var rawSingle = Measurement(name: "raw C: insert, one per transaction", bytes: oursSingle.bytes, operations: singles)
        start = ContinuousClock.now
        for (id, text) in texts[0..<singles] {
            let began = ContinuousClock.now
            raw.exec("BEGIN IMMEDIATE"); raw.insert(id, text); raw.exec("COMMIT")
            rawSingle.latencies.append(ContinuousClock.now - began)
        }
        rawSingle.elapsed = ContinuousClock.now - start
        var rawBatch = Measurement(name: "raw C: insert, batches of 1000", bytes: oursBatch.bytes, operations: documents - singles)
        start = ContinuousClock.now
        for batch in stride(from: singles, to: documents, by: 1000) {
            let began = ContinuousClock.now
            raw.exec("BEGIN IMMEDIATE")
            for (id, text) in texts[batch..<min(batch + 1000, documents)] { raw.insert(id, text) }
            raw.exec("COMMIT")
            rawBatch.latencies.append(ContinuousClock.now - began)
        }
        rawBatch.elapsed = ContinuousClock.now - start
        var rawFind = Measurement(name: "raw C: indexed find (name = ?)", operations: 5000)
        start = ContinuousClock.now
        for index in 0..<5000 {
            let began = ContinuousClock.now
            precondition(raw.findByName("run-\(index * 7 % documents)") == 1)
            rawFind.latencies.append(ContinuousClock.now - began)
        }
        rawFind.elapsed = ContinuousClock.now - start
        // The same raw calls, each behind the hop to a serial queue and back that DESIGN.md §6
        // requires of every blocking C call: what is left between this and ours is the library.
        let queue = DispatchQueue(label: "bench.raw")
        let box = UncheckedBox(raw)
        var hopFind = Measurement(name: "raw C + queue hop: indexed find", operations: 5000)
        start = ContinuousClock.now
        for index in 0..<5000 {
            let began = ContinuousClock.now
            let name = "run-\(index * 7 % documents)"
            let found = await withCheckedContinuation { continuation in
                queue.async { continuation.resume(returning: box.value.findByName(name)) }
            }
            precondition(found == 1)
            hopFind.latencies.append(ContinuousClock.now - began)
        }
        hopFind.elapsed = ContinuousClock.now - start

        Table.print(title: "Store: single inserts", rows: [rawSingle, oursSingle], reference: "raw SQLite C API")
        Table.print(title: "Store: batched inserts (\(documents - singles) documents)", rows: [rawBatch, oursBatch], reference: "raw SQLite C API")
        print("\n## Store: indexed finds (reference: raw SQLite C API)")
        for row in [rawFind, hopFind, oursFind] {
            print(String(format: "%@ %.0f finds/s  p50 %.0f µs  p99 %.0f µs", Table.pad(row.name, 38), Double(row.operations) / row.elapsed.seconds, row.percentile(0.5).microseconds, row.percentile(0.99).microseconds))
        }
        for (name, ours, reference) in [("single inserts", oursSingle, rawSingle), ("batched inserts", oursBatch, rawBatch), ("finds", oursFind, rawFind), ("finds vs raw + hop", oursFind, hopFind)] {
            print(String(format: "store/raw, %@: %.0f%% of raw throughput", name, reference.elapsed.seconds / ours.elapsed.seconds * Double(ours.operations) / Double(reference.operations) * 100))
        }
        try? FileManager.default.removeItem(at: directory)
    }

    func document(_ index: Int) -> (String, String) {
        let id = String(format: "01900000-0000-7000-8000-%012d", index)
        let text = #"{"id":"\#(id)","name":"run-\#(index)","status":"\#(index % 3 == 0 ? "finished" : "running")","params":{"lr":0.0\#(index % 9 + 1),"batch":\#(32 << (index % 3))},"metrics":{"acc":0.\#(index % 1000)},"startedAt":\#(1_700_000_000 + index)}"#
        return (id, text)
    }
}

/// The reference: the SQLite C API called directly, prepared statements reused.
final class RawSQLite {
    var handle: OpaquePointer?
    var insertStatement: OpaquePointer?
    var findStatement: OpaquePointer?

    init(path: String) throws {
        guard sqlite3_open(path, &handle) == SQLITE_OK else { throw CocoaError(.fileReadUnknown) }
        exec("PRAGMA journal_mode=WAL")
        exec("PRAGMA synchronous=FULL")
        exec("CREATE TABLE c_runs (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID")
        exec(#"CREATE INDEX c_runs__status ON c_runs (json_extract(doc, '$."status"'))"#)
        exec(#"CREATE UNIQUE INDEX c_runs__name ON c_runs (json_extract(doc, '$."name"'))"#)
        sqlite3_prepare_v2(handle, "INSERT INTO c_runs (id, doc) VALUES (?, ?)", -1, &insertStatement, nil)
        sqlite3_prepare_v2(handle, #"SELECT doc FROM c_runs WHERE json_extract(doc, '$."name"') = ? LIMIT 1"#, -1, &findStatement, nil)
    }

    deinit {
        sqlite3_finalize(insertStatement)
        sqlite3_finalize(findStatement)
        sqlite3_close(handle)
    }

    func exec(_ sql: String) {
        precondition(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK, String(cString: sqlite3_errmsg(handle)))
    }

    func insert(_ id: String, _ text: String) {
        sqlite3_reset(insertStatement)
        sqlite3_bind_text(insertStatement, 1, id, -1, csqlite_transient())
        sqlite3_bind_text(insertStatement, 2, text, -1, csqlite_transient())
        precondition(sqlite3_step(insertStatement) == SQLITE_DONE)
    }

    /// Returns how many rows matched, reading the document text as the store does.
    func findByName(_ name: String) -> Int {
        sqlite3_reset(findStatement)
        sqlite3_bind_text(findStatement, 1, name, -1, csqlite_transient())
        var count = 0
        while sqlite3_step(findStatement) == SQLITE_ROW {
            _ = String(cString: sqlite3_column_text(findStatement, 0))
            count += 1
        }
        return count
    }
}

/// Carries the raw connection to its queue; only that queue touches it.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
