import Foundation
import Logging
import MLHubService
import Platform
import Store

/// mlhub's goal: search p50 under 30 ms over 100k model versions. The versions (synthetic
/// cards: names, tasks, frameworks, tags, authors, descriptions drawn from a 2,000-word
/// vocabulary with a Zipf-like skew) are written into the hub's store before it starts; the
/// same queries then run through the store's full-text search alone (the reference: FTS5 BM25,
/// best 1,000) and through `GET /v1/search` (visibility, ranking, facets, HTTP).
struct HubBenchmark {
    let directory: URL
    let versions: Int
    let queries: Int

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        let state = directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(
            at: state.appendingPathComponent("mlhub"), withIntermediateDirectories: true)
        let store = try SQLiteDocumentStore(path: state.appendingPathComponent("mlhub/store.sqlite").path)
        try await CollectionCatalog.load(domain: "mlhub", from: URL(fileURLWithPath: "db", isDirectory: true)).apply(
            to: store)
        var random = SeededRandom(seed: 42)
        var fill = Measurement(name: "write versions (FTS index kept by triggers)", operations: versions)
        let began = ContinuousClock.now
        for start in stride(from: 0, to: versions, by: 1000) {
            let batch = (start..<min(start + 1000, versions)).map { Self.version($0, &random) }
            let at = ContinuousClock.now
            try await store.batch(batch.map { .insert($0, into: "model_versions") })
            fill.latencies.append(ContinuousClock.now - at)
        }
        fill.elapsed = ContinuousClock.now - began
        fill.operations = versions
        Table.printRates(
            title: "mlhub: \(versions) model versions written in batches of 1000", rows: [fill], reference: "itself",
            unit: "versions/s")

        let services = try await BenchServices.start(directory: state)
        defer { services.stop() }
        let port = try LoopbackPort.free()
        let settings = try await ServiceSettings.forTesting(
            .mlhub, stateDirectory: state, extraSettings: MLHubApp.extraSettings,
            environment: services.environment.merging(["MLEX_MLHUB_PORT": String(port)]) { $1 })
        let hubTask = try await BenchServices.run(
            MLHubApp.buildApplication(
                settings: settings, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })))
        defer { hubTask.cancel() }
        let hub = APIClient(base: "http://127.0.0.1:\(port)")
        hub.token = services.client.token

        let texts = (0..<queries).map { index in
            index % 2 == 0
                ? Self.word(60 + random.next(1500))
                : "\(Self.word(60 + random.next(1500))) \(Self.word(60 + random.next(1500)))"
        }
        var reference = Measurement(name: "store.search alone (FTS5 BM25, best 1000)", operations: queries)
        var full = Measurement(name: "GET /v1/search?q= (ranked, 5 facets)", operations: queries)
        var bare = Measurement(name: "GET /v1/search?q=&facets=false", operations: queries)
        var browse = Measurement(name: "GET /v1/search?task= (no text, 5 facets)", operations: queries)
        for (index, text) in texts.enumerated() {
            let encoded = text.replacingOccurrences(of: " ", with: "%20")
            reference.latencies.append(
                try await timed { _ = try await store.search("model_versions", TextSearch(text, limit: 1000)) })
            full.latencies.append(try await timed { _ = try await hub.call("GET", "/v1/search?q=\(encoded)") })
            bare.latencies.append(
                try await timed { _ = try await hub.call("GET", "/v1/search?q=\(encoded)&facets=false") })
            browse.latencies.append(
                try await timed { _ = try await hub.call("GET", "/v1/search?task=task\(index % 20)") })
        }
        reference.elapsed = reference.latencies.reduce(.zero, +)
        full.elapsed = full.latencies.reduce(.zero, +)
        bare.elapsed = bare.latencies.reduce(.zero, +)
        browse.elapsed = browse.latencies.reduce(.zero, +)
        Table.printRates(
            title: "mlhub: search over \(versions) versions, \(queries) queries of 1–2 words, one at a time",
            rows: [reference, full, bare, browse], reference: "the store's full-text search alone")
    }

    private func timed(_ body: () async throws -> Void) async throws -> Duration {
        let start = ContinuousClock.now
        try await body()
        return ContinuousClock.now - start
    }

    /// A pronounceable word for each vocabulary rank (`kavo`, `mitesu`…), stable across runs.
    static func word(_ rank: Int) -> String {
        let consonants = Array("bdfgklmnprstvz")
        let vowels = Array("aeiou")
        var value = rank + 7
        var text = ""
        repeat {
            text.append(consonants[value % consonants.count])
            value /= consonants.count
            text.append(vowels[value % vowels.count])
            value /= vowels.count
        } while value > 0
        return text
    }

    static func version(_ index: Int, _ random: inout SeededRandom) -> JSONValue {
        func skewed() -> Int { Int(pow(random.unit(), 2.5) * 2000) }
        let description = (0..<12).map { _ in word(skewed()) }.joined(separator: " ")
        let created = Timestamp.format(Date(timeIntervalSince1970: 1_780_000_000 + Double(index) * 60))
        return [
            "id": .string(ID.make()), "modelId": .string(ID.make()),
            "projectId": "01900000-0000-7000-8000-000000000000", "number": 1,
            "name": .string("\(word(skewed()))-\(word(skewed()))-\(index)"), "task": .string("task\(random.next(20))"),
            "framework": .string(["pytorch", "jax", "tensorflow", "sklearn", "xgboost", "onnx"][random.next(6)]),
            "tags": .array((0..<3).map { _ in .string("tag\(random.next(50))") }),
            "authors": .array((0..<2).map { _ in .string("author\(random.next(500))") }),
            "description": .string(description),
            "stage": .string(["none", "staging", "production", "archived"][random.next(4)]),
            "public": true, "owner": .string("user\(random.next(200))"), "metrics": ["acc": .double(random.unit())],
            "deployCount": .int(Int64(random.next(5) == 0 ? random.next(100) : 0)), "aliases": [],
            "createdAt": .string(created),
        ]
    }
}

/// xorshift64*: the same corpus and queries on every run.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 1 : seed }

    mutating func next64() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }

    mutating func next(_ bound: Int) -> Int { Int(next64() % UInt64(bound)) }
    mutating func unit() -> Double { Double(next64() >> 11) / Double(1 << 53) }
}
