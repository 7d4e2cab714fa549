import Foundation
import Platform
import PlatformTesting
import Store
import Testing

@testable import DataService

/// A series of one point is only its run's summary (issue 25: disk per run); the second point
/// stores it. Writers that do not share a queue (two data processes) must lose no point.
@Suite("data: a one-point series lives in its run")
struct OnePointSeriesTests {
    static var run: Run { MetricTierTests.run }

    static func append(_ value: Double, step: Int64, key: String, to metrics: MetricSeriesStore) async throws {
        let point: JSONValue = ["key": .string(key), "value": .double(value), "step": .int(step), "timestamp": 1000]
        try await metrics.append(try MetricBatch(body: ["points": [point]]), to: run)
    }

    static func series(_ key: String, in metrics: MetricSeriesStore) async throws -> MetricSeries? {
        let document = try #require(try await metrics.store.get(run.id, from: Run.collection))
        return try await metrics.series(of: try Run(document: document), key: key)
    }

    static func stored(_ collection: String, _ metrics: MetricSeriesStore) async throws -> Int {
        try await metrics.store.count(collection, filter: ["runId": .string(run.id)])
    }

    @Test("the first point is written to the run alone and read back from it; the second stores both")
    func firstThenSecond() async throws {
        let metrics = try await MetricTierTests.metrics()
        try await Self.append(0.5, step: 3, key: "acc", to: metrics)
        #expect(try await Self.stored("metric_series", metrics) == 0)
        #expect(try await Self.stored("metric_chunks", metrics) == 0)
        let single = try #require(try await Self.series("acc", in: metrics))
        #expect(single.inRun && single.count == 1 && single.min == 0.5 && single.last.step == 3)
        #expect(try await metrics.points(of: single, after: 0, limit: 10) == [single.last])
        #expect(try await metrics.points(of: single, after: 1, limit: 10) == [])
        #expect(try await Downsampling.view(of: single, buckets: 10, metrics: metrics).buckets.count == 1)

        try await Self.append(0.25, step: 4, key: "acc", to: metrics)
        let both = try #require(try await Self.series("acc", in: metrics))
        #expect(!both.inRun && both.count == 2 && both.min == 0.25 && both.max == 0.5 && both.last.value == 0.25)
        #expect(try await metrics.points(of: both, after: 0, limit: 10).map(\.step) == [3, 4])
        #expect(try await Self.stored("metric_chunks", metrics) == 1)
    }

    @Test("two writers without a shared queue appending first points at once keep every point")
    func racingWriters() async throws {
        let metrics = try await MetricTierTests.metrics()
        let otherProcess = MetricSeriesStore(store: metrics.store)
        for round in 0..<20 {
            let key = "k\(round)"
            async let first: Void = Self.append(1, step: 1, key: key, to: metrics)
            async let second: Void = Self.append(2, step: 2, key: key, to: otherProcess)
            _ = try await (first, second)
            let series = try #require(try await Self.series(key, in: metrics))
            #expect(series.count == 2, "round \(round)")
            #expect(try await metrics.points(of: series, after: 0, limit: 10).map(\.value).sorted() == [1, 2])
        }
    }

    @Test("a one-point series an older version stored as documents is read and appended to as before")
    func storedByAnOlderVersion() async throws {
        let metrics = try await MetricTierTests.metrics()
        try await Self.append(0.5, step: 1, key: "acc", to: metrics)
        // What the older version also wrote for that point.
        let id = MetricSeries.id(run: Self.run.id, key: "acc")
        let point = MetricPoint(value: 0.5, step: 1, timestamp: 1000)
        let legacy = MetricSeries(
            id: id, runId: Self.run.id, experimentId: Self.run.experimentId, projectId: Self.run.projectId, key: "acc",
            count: 1, min: 0.5, max: 0.5, last: point)
        var batch = MetricBatch.Series(key: "acc")
        batch.values = [0.5]
        batch.steps = [1]
        batch.timestamps = [1000]
        try await metrics.store.batch([
            .insert(legacy.document(), into: "metric_series"),
            .insert(MetricChunk(series: id, of: Self.run, start: 0, points: batch).document(), into: "metric_chunks"),
        ])
        #expect(try await Self.series("acc", in: metrics)?.inRun == false)
        try await Self.append(0.75, step: 2, key: "acc", to: metrics)
        let series = try #require(try await Self.series("acc", in: metrics))
        #expect(try await metrics.points(of: series, after: 0, limit: 10).map(\.value) == [0.5, 0.75])
    }
}
