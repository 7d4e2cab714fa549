import Foundation
import Platform
import PlatformTesting
import Store
import Testing

@testable import DataService

/// Tiers only where needed (issue 25): a series keeps a tier level once it fills one of the
/// level's documents; below that the downsampled view reads a finer level or the points, and
/// its answer is the same either way.
@Suite("data: metric tiers kept only from a series length on")
struct MetricTierTests {
    static let run = Run(
        id: ID.make(), projectId: ID.make(), experimentId: ID.make(), name: "tiers", status: .running,
        startTime: "2026-11-23T10:00:00.000Z", endTime: nil, createdBy: ID.make(), parentRunId: .absent,
        source: RunSource(), params: RunFields(), tags: RunFields(), metrics: RunFields(),
        metricSummaries: RunFields(), lifecycle: .active, createdAt: "2026-11-23T10:00:00.000Z",
        updatedAt: "2026-11-23T10:00:00.000Z", trashedAt: .absent, exitCode: nil)

    static func value(_ index: Int) -> Double { MetricTests.value(index) }

    /// A fresh store with the data service's collections.
    static func metrics() async throws -> MetricSeriesStore {
        let store = try SQLiteDocumentStore(path: try temporaryDirectory().appendingPathComponent("store.sqlite").path)
        try await CollectionCatalog.load(domain: "data", from: repositoryRoot().appendingPathComponent("db")).apply(
            to: store)
        try await store.insert(run.document(), into: Run.collection)
        return MetricSeriesStore(store: store)
    }

    /// Appends `value(i)` at step i for i in `range` as one request.
    static func append(_ range: Range<Int>, key: String = "loss", to metrics: MetricSeriesStore) async throws {
        let points: [JSONValue] = range.map {
            ["key": .string(key), "value": .double(value($0)), "step": .int(Int64($0)), "timestamp": .int(Int64($0))]
        }
        try await metrics.append(try MetricBatch(body: ["points": .array(points)]), to: run)
    }

    /// The view of `count` points in `buckets` buckets equals the one computed from every point.
    static func expectView(
        _ metrics: MetricSeriesStore, count: Int, buckets: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let runDocument = try #require(try await metrics.store.get(run.id, from: Run.collection))
        let logged = try #require(try await metrics.series(of: try Run(document: runDocument), key: "loss"))
        #expect(logged.count == count, sourceLocation: sourceLocation)
        let view = try await Downsampling.view(of: logged, buckets: buckets, metrics: metrics)
        #expect(view.width == Downsampling.plan(count: count, buckets: buckets).width, sourceLocation: sourceLocation)
        let series = (0..<count).map(value)
        var expected: [JSONValue] = []
        for start in stride(from: 0, to: count, by: view.width) {
            let slice = series[start..<min(count, start + view.width)]
            expected.append([
                "start": .int(Int64(start)), "count": .int(Int64(slice.count)), "firstStep": .int(Int64(start)),
                "lastStep": .int(Int64(start + slice.count - 1)), "min": .double(slice.min() ?? 0),
                "max": .double(slice.max() ?? 0), "last": .double(slice.last ?? 0),
            ])
        }
        #expect(view.buckets == expected, "\(count) points in \(buckets) buckets", sourceLocation: sourceLocation)
    }

    /// The tier documents a series of `count` points keeps at `level`.
    static func documentsExpected(count: Int, level: Int) -> Int {
        guard MetricTiers.isKept(level, count: count) else { return 0 }
        let buckets = (count + MetricTiers.width(level) - 1) / MetricTiers.width(level)
        return (buckets + MetricTiers.bucketsPerDocument - 1) / MetricTiers.bucketsPerDocument
    }

    @Test("a level is kept once its series fills one of the level's documents")
    func thresholds() {
        #expect(!MetricTiers.isKept(1, count: 1023))
        #expect(MetricTiers.isKept(1, count: 1024))
        #expect(!MetricTiers.isKept(2, count: 8191))
        #expect(MetricTiers.isKept(2, count: 8192))
        #expect(MetricTiers.coarsestKept(atMost: 6, count: 1) == nil)
        #expect(MetricTiers.coarsestKept(atMost: 6, count: 10_000) == 2)
        #expect(MetricTiers.coarsestKept(atMost: 1, count: 10_000) == 1)
        // The plan's width is what it always was; only the level read may be a finer one.
        #expect(Downsampling.plan(count: 1000, buckets: 7) == .init(width: 192, level: nil))
        #expect(Downsampling.plan(count: 20011, buckets: 33) == .init(width: 1024, level: 2))
        #expect(Downsampling.plan(count: 1_000_000, buckets: 1000) == .init(width: 1024, level: 3))
    }

    @Test(
        "a level built whole from a finer one or from the points equals one appended point by point",
        arguments: [(first: 1000, total: 1100), (first: 1023, total: 1024), (first: 5000, total: 70000)])
    func buildEqualsAppend(first: Int, total: Int) {
        let values = (0..<total).map(Self.value)
        let steps = (0..<total).map { Int64($0) }
        for level in 1...3 {
            let whole = MetricTiers.append(values: values, steps: steps, first: 0, level: level, existing: [])
            for sourceLevel in [nil, 1, 2] where (sourceLevel ?? 0) < level {
                let sourceWidth = sourceLevel.map(MetricTiers.width) ?? 1
                let source =
                    sourceLevel.map {
                        MetricTiers.append(
                            values: Array(values[..<first]), steps: Array(steps[..<first]), first: 0, level: $0,
                            existing: []
                        ).flatMap(\.buckets)
                    } ?? (0..<first).map { MetricTiers.Bucket(values[$0], step: steps[$0]) }
                let built = MetricTiers.build(
                    level: level, from: source, sourceWidth: sourceWidth, values: Array(values[first...]),
                    steps: Array(steps[first...]), first: first)
                #expect(
                    built.map(\.chunk) == whole.map(\.chunk), "level \(level) from \(String(describing: sourceLevel))")
                #expect(
                    built.map(\.buckets) == whole.map(\.buckets),
                    "level \(level) from \(String(describing: sourceLevel))")
            }
        }
    }

    @Test(
        "tiers appear as a series crosses each threshold, in one batch or over several, and the view stays exact",
        arguments: [
            [1], [1023], [1024], [1000, 24], [1000, 25], [300, 300, 300, 200], [9000],
            [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 193],
            [8191, 1], [8100, 200],
            // A first point lives in the run; the next ones store it as the series' first.
            [1, 1, 1], [1, 1023], [1, 1300],
        ])
    func crossing(batches: [Int]) async throws {
        let metrics = try await Self.metrics()
        var count = 0
        for size in batches {
            try await Self.append(count..<(count + size), to: metrics)
            count += size
            let id = MetricSeries.id(run: Self.run.id, key: "loss")
            for level in MetricTiers.levels {
                let documents = try await metrics.store.count(
                    "metric_tiers", filter: ["seriesId": .string(id), "level": .int(Int64(level))])
                #expect(documents == Self.documentsExpected(count: count, level: level), "level \(level) at \(count)")
            }
            for buckets in [1, 3, 7, 100, 1000] { try await Self.expectView(metrics, count: count, buckets: buckets) }
        }
    }

    @Test("tiers an older version wrote for a short series are ignored, then replaced when the series needs them")
    func legacyTiers() async throws {
        let metrics = try await Self.metrics()
        try await Self.append(0..<500, to: metrics)
        // What the older version kept for these 500 points: every level, one document each.
        let id = MetricSeries.id(run: Self.run.id, key: "loss")
        let values = (0..<500).map(Self.value)
        let steps = (0..<500).map { Int64($0) }
        for level in MetricTiers.levels {
            for (chunk, buckets) in MetricTiers.append(
                values: values, steps: steps, first: 0, level: level, existing: [])
            {
                try await metrics.store.insert(
                    MetricTier(series: id, of: Self.run, level: level, chunk: chunk, buckets: buckets).document(),
                    into: "metric_tiers")
            }
        }
        // Appended to without them (they go stale), then past the first threshold.
        try await Self.append(500..<700, to: metrics)
        for buckets in [1, 7, 1000] { try await Self.expectView(metrics, count: 700, buckets: buckets) }
        try await Self.append(700..<1300, to: metrics)
        for buckets in [1, 7, 1000] { try await Self.expectView(metrics, count: 1300, buckets: buckets) }
        let levelOne = try await metrics.tierBuckets(series: id, level: 1)
        #expect(levelOne.count == 163)
    }
}
