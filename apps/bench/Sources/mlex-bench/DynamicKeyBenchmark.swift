import Foundation
import Platform
import Store

/// "Runs where params.lr = 0.01 and metrics.acc > 0.9, best first": the same documents in a
/// collection with dynamic keys (answered from `k_runs`) and in one without (a scan of
/// every document, what a store without such an index does), in the same run.
struct DynamicKeyBenchmark {
    let directory: URL
    let documents: Int
    let searches = 200

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteDocumentStore(path: directory.appendingPathComponent("store.sqlite").path)
        try await store.prepare(CollectionSpec("indexed", dynamicKeys: ["params", "metrics"]))
        try await store.prepare(CollectionSpec("scanned"))
        let generator = StoreBenchmark(directory: directory, documents: documents)
        let values = try (0..<documents).map { try JSONValue.parse(generator.document($0).1) }
        var loads: [Measurement] = []
        for collection in ["scanned", "indexed"] {
            var load = Measurement(name: "insert into \(collection), batches of 1000", operations: documents)
            let start = ContinuousClock.now
            for batch in stride(from: 0, to: documents, by: 1000) {
                try await store.batch(
                    values[batch..<min(batch + 1000, documents)].map { .insert($0, into: collection) })
            }
            load.elapsed = ContinuousClock.now - start
            loads.append(load)
        }
        var rows: [Measurement] = []
        var matches = 0
        // ~11% of documents match each side of the first search; the second's range is narrow.
        for threshold in [0.9, 0.995] {
            for collection in ["scanned", "indexed"] {
                var search = Measurement(name: "\(collection): lr = x and acc > \(threshold)", operations: searches)
                let start = ContinuousClock.now
                for index in 0..<searches {
                    let lr = Double(index % 9 + 1) / 100
                    let query = Query(
                        filter: ["params.lr": .double(lr), "metrics.acc": ["$gt": .double(threshold)]],
                        sort: [.descending("metrics.acc")], limit: 100)
                    let began = ContinuousClock.now
                    matches = try await store.find(collection, query).count
                    search.latencies.append(ContinuousClock.now - began)
                }
                search.elapsed = ContinuousClock.now - start
                rows.append(search)
            }
        }
        print("\n## Store: dynamic-key search over \(documents) documents, top 100 of each (reference: full scan)")
        for row in loads {
            print(
                String(
                    format: "%@ %.0f documents/s", Table.pad(row.name, 40), Double(row.operations) / row.elapsed.seconds
                ))
        }
        for row in rows {
            print(
                String(
                    format: "%@ %.0f searches/s  p50 %.1f ms  p99 %.1f ms", Table.pad(row.name, 40),
                    Double(row.operations) / row.elapsed.seconds, row.percentile(0.5).seconds * 1000,
                    row.percentile(0.99).seconds * 1000))
        }
        print("(the last search returned \(matches) documents)")
        try? FileManager.default.removeItem(at: directory)
    }
}
