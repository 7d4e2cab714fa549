import Foundation
import Platform
import SQLite
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
        var oursSingle = Measurement(
            name: "store: insert, one per transaction", bytes: bytes / Int64(documents) * Int64(singles),
            operations: singles)
        var start = ContinuousClock.now
        for value in values[0..<singles] {
            let began = ContinuousClock.now
            try await store.insert(value, into: "runs")
            oursSingle.latencies.append(ContinuousClock.now - began)
        }
        oursSingle.elapsed = ContinuousClock.now - start
        var oursBatch = Measurement(
            name: "store: insert, batches of 1000", bytes: bytes / Int64(documents) * Int64(documents - singles),
            operations: documents - singles)
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
            let found = try await store.find(
                "runs", Query(filter: ["name": .string("run-\(index * 7 % documents)")], limit: 1))
            precondition(found.count == 1)
            oursFind.latencies.append(ContinuousClock.now - began)
        }
        oursFind.elapsed = ContinuousClock.now - start

        // Plain SQL, same statements, same durability (WAL, synchronous=FULL).
        let raw = try RawSQLite(path: directory.appendingPathComponent("raw.sqlite").path)
        var rawSingle = Measurement(
            name: "raw SQL: insert, one per transaction", bytes: oursSingle.bytes, operations: singles)
        start = ContinuousClock.now
        for (id, text) in texts[0..<singles] {
            let began = ContinuousClock.now
            try raw.exec("BEGIN IMMEDIATE")
            try raw.insert(id, text)
            try raw.exec("COMMIT")
            rawSingle.latencies.append(ContinuousClock.now - began)
        }
        rawSingle.elapsed = ContinuousClock.now - start
        var rawBatch = Measurement(
            name: "raw SQL: insert, batches of 1000", bytes: oursBatch.bytes, operations: documents - singles)
        start = ContinuousClock.now
        for batch in stride(from: singles, to: documents, by: 1000) {
            let began = ContinuousClock.now
            try raw.exec("BEGIN IMMEDIATE")
            for (id, text) in texts[batch..<min(batch + 1000, documents)] { try raw.insert(id, text) }
            try raw.exec("COMMIT")
            rawBatch.latencies.append(ContinuousClock.now - began)
        }
        rawBatch.elapsed = ContinuousClock.now - start
        var rawFind = Measurement(name: "raw SQL: indexed find (name = ?)", operations: 5000)
        start = ContinuousClock.now
        for index in 0..<5000 {
            let began = ContinuousClock.now
            let matched = try raw.findByName("run-\(index * 7 % documents)")
            precondition(matched == 1)
            rawFind.latencies.append(ContinuousClock.now - began)
        }
        rawFind.elapsed = ContinuousClock.now - start
        // The same raw calls, each behind the hop to a serial queue and back that docs/design.md §6
        // requires of every blocking C call: what is left between this and ours is the library.
        let queue = DispatchQueue(label: "bench.raw")
        let box = UncheckedBox(raw)
        var hopFind = Measurement(name: "raw SQL + queue hop: indexed find", operations: 5000)
        start = ContinuousClock.now
        for index in 0..<5000 {
            let began = ContinuousClock.now
            let name = "run-\(index * 7 % documents)"
            let found = try await withCheckedThrowingContinuation { continuation in
                queue.async { continuation.resume(with: Result { try box.value.findByName(name) }) }
            }
            precondition(found == 1)
            hopFind.latencies.append(ContinuousClock.now - began)
        }
        hopFind.elapsed = ContinuousClock.now - start

        Table.print(title: "Store: single inserts", rows: [rawSingle, oursSingle], reference: "raw SQLite C API")
        Table.print(
            title: "Store: batched inserts (\(documents - singles) documents)", rows: [rawBatch, oursBatch],
            reference: "raw SQLite C API")
        print("\n## Store: indexed finds (reference: raw SQLite C API)")
        for row in [rawFind, hopFind, oursFind] {
            print(
                String(
                    format: "%@ %.0f finds/s  p50 %.0f µs  p99 %.0f µs", Table.pad(row.name, 38),
                    Double(row.operations) / row.elapsed.seconds, row.percentile(0.5).microseconds,
                    row.percentile(0.99).microseconds))
        }
        for (name, ours, reference) in [
            ("single inserts", oursSingle, rawSingle), ("batched inserts", oursBatch, rawBatch),
            ("finds", oursFind, rawFind), ("finds vs raw + hop", oursFind, hopFind),
        ] {
            print(
                String(
                    format: "store/raw, %@: %.0f%% of raw throughput", name,
                    reference.elapsed.seconds / ours.elapsed.seconds * Double(ours.operations)
                        / Double(reference.operations) * 100))
        }
        try? FileManager.default.removeItem(at: directory)
    }

    func document(_ index: Int) -> (String, String) {
        let id = String(format: "01900000-0000-7000-8000-%012d", index)
        let text =
            #"{"id":"\#(id)","name":"run-\#(index)","status":"\#(index % 3 == 0 ? "finished" : "running")","params":{"lr":0.0\#(index % 9 + 1),"batch":\#(32 << (index % 3))},"metrics":{"acc":0.\#(index % 1000)},"startedAt":\#(1_700_000_000 + index)}"#
        return (id, text)
    }
}

/// The reference: plain SQL through the SQLite wrapper (the C API with prepared statements
/// reused, nothing of the store's document layer).
final class RawSQLite {
    private let connection: SQLiteConnection
    private let insertStatement: SQLiteStatement
    private let findStatement: SQLiteStatement

    init(path: String) throws {
        connection = try SQLiteConnection(path: path)  // WAL, synchronous=FULL
        try connection.execute("CREATE TABLE c_runs (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID")
        try connection.execute(#"CREATE INDEX c_runs__status ON c_runs (json_extract(doc, '$."status"'))"#)
        try connection.execute(#"CREATE UNIQUE INDEX c_runs__name ON c_runs (json_extract(doc, '$."name"'))"#)
        insertStatement = try connection.prepare("INSERT INTO c_runs (id, doc) VALUES (?, ?)")
        findStatement = try connection.prepare(
            #"SELECT doc FROM c_runs WHERE json_extract(doc, '$."name"') = ? LIMIT 1"#)
    }

    func exec(_ sql: String) throws {
        try connection.execute(sql)
    }

    func insert(_ id: String, _ text: String) throws {
        try insertStatement.run([.text(id), .text(text)])
    }

    /// Returns how many rows matched, reading the document text as the store does.
    func findByName(_ name: String) throws -> Int {
        try findStatement.bind([.text(name)])
        defer { findStatement.reset() }
        var count = 0
        while try findStatement.step() {
            if case .text = findStatement.column(0) { count += 1 }
        }
        return count
    }
}

/// Carries the raw connection to its queue; only that queue touches it.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
