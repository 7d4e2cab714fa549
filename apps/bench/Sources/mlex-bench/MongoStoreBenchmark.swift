import Foundation
import MongoStore
import Platform
import Store

/// The store benchmark's work on MongoDB through libmongoc, against nx-27017 (a
/// single-threaded Python server over SQLite, ~1.5k writes/s): its figures are that server's
/// speed, not MongoDB's. The same work on the embedded SQLite store runs beside it.
struct MongoStoreBenchmark {
    let url: String
    let directory: URL
    let documents: Int

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let spec = CollectionSpec("runs", indexes: [.init(["status"]), .init(["name"], unique: true)])
        let values = (0..<documents).map(document)
        let sqlite = try SQLiteDocumentStore(path: directory.appendingPathComponent("store.sqlite").path)
        let mongo = try MongoDocumentStore(url: url + "/bench_\(UInt32.random(in: 0...UInt32.max))")
        var rows: [Measurement] = []
        for (name, store) in [("sqlite", sqlite as any DocumentStore), ("mongodb via nx-27017", mongo)] {
            try await store.prepare(spec)
            let singles = documents / 5
            rows.append(
                try await measure("\(name): insert, one at a time", count: singles) {
                    try await store.insert(values[$0], into: "runs")
                })
            let batches = (documents - singles) / 1000
            var batched = try await measure("\(name): insert, batches of 1000", count: batches) { batch in
                let start = singles + batch * 1000
                try await store.batch(values[start..<start + 1000].map { .insert($0, into: "runs") })
            }
            batched.operations = batches * 1000
            rows.append(batched)
            rows.append(
                try await measure("\(name): indexed find (name = ?)", count: 1000) { index in
                    let found = try await store.find(
                        "runs", Query(filter: ["name": .string("run-\(index * 7 % singles)")], limit: 1))
                    precondition(found.count == 1)
                })
        }
        Table.printRates(
            title: "Store on MongoDB (nx-27017) beside SQLite: \(documents) documents", rows: rows,
            reference: "sqlite single inserts", unit: "ops/s")
    }

    private func document(_ index: Int) -> JSONValue {
        let status: JSONValue = index % 3 == 0 ? "finished" : "running"
        let params: JSONValue = ["lr": .double(Double(index % 10) / 100), "layers": .int(Int64(index % 7))]
        let metrics: JSONValue = ["acc": .double(Double(index % 100) / 100)]
        return [
            "id": .string(ID.make()), "name": .string("run-\(index)"), "status": status, "params": params,
            "metrics": metrics,
        ]
    }
}
