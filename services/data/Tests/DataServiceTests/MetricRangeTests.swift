import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

/// A chart zooming into a long series asks for a range of it (`from`, `to`) at finer
/// resolution: each answer must be exactly what the points of that range give, whichever tier
/// (or the raw points) answered it.
@Suite("data: the downsampled view of a range of points")
struct MetricRangeTests {
    /// The aligned buckets of `width` that points `from ..< to` (cut to `count`) touch, computed from every point.
    static func expected(count: Int, from: Int, to: Int, width: Int) -> [JSONValue] {
        let series = (0..<count).map(MetricTests.value)
        let range = (from..<to).clamped(to: 0..<count)
        guard !range.isEmpty else { return [] }
        return stride(from: range.lowerBound / width * width, to: range.upperBound, by: width).map { start in
            let slice = series[start..<min(count, start + width)]
            return [
                "start": .int(Int64(start)), "count": .int(Int64(slice.count)), "firstStep": .int(Int64(start)),
                "lastStep": .int(Int64(start + slice.count - 1)), "min": .double(slice.min() ?? 0),
                "max": .double(slice.max() ?? 0), "last": .double(slice.last ?? 0),
            ]
        }
    }

    /// Logs `count` points under `loss`, then checks each (from, to, buckets) against `expected`.
    func check(count: Int, ranges: [(from: Int, to: Int, buckets: Int)]) async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            // Odd batch sizes, so batches end inside tier buckets and inside tier documents.
            try await client.logPoints(owner.token, run: run, key: "loss", range: 0..<count, batch: 9973)
            for (from, to, buckets) in ranges {
                let answer = try await client.call(
                    .get, "/v1/runs/\(run)/metrics/downsampled?key=loss&buckets=\(buckets)&from=\(from)&to=\(to)",
                    token: owner.token)
                #expect(answer.status == .ok, "\(answer.body)")
                let width = Int(answer.body["bucketWidth"]?.intValue ?? 0)
                let items = answer.body["items"]?.arrayValue ?? []
                let label = "\(count) points, \(from)..<\(to) in \(buckets)"
                #expect(items.count <= buckets, "\(label)")
                #expect(answer.body["count"]?.intValue == Int64(count))
                #expect(answer.body["to"]?.intValue == Int64(min(to, count)), "\(label)")
                #expect(
                    items == Self.expected(count: count, from: from, to: to, width: width), "\(label), width \(width)")
                // As fine as the buckets allow: the next finer width a tier could answer would not fit.
                let points = min(to, count) - min(from, count)
                if points > 0 {
                    #expect(width <= max(1, 8 * ((points + buckets - 1) / buckets) + 8), "\(label), width \(width)")
                }
            }
        }
    }

    @Test("ranges of a 70,000-point series, answered by tiers 1 to 3 and by the points, equal every point's answer")
    func longSeries() async throws {
        try await check(
            count: 70_000,
            ranges: [
                (0, 70_000, 500), (12_345, 13_000, 50), (777, 20_001, 7), (65_000, 75_000, 10),
                (5000, 5003, 1000), (9999, 10_000, 1), (1, 69_999, 1), (30_000, 60_000, 5000), (123, 4567, 500),
                (70_000, 80_000, 10),
            ])
    }

    @Test("ranges of a 20,011-point series and of short ones")
    func shorterSeries() async throws {
        try await check(
            count: 20_011, ranges: [(0, 20_011, 33), (8191, 8193, 2), (10, 20_010, 3), (19_000, 20_011, 100)])
        try await check(count: 37, ranges: [(0, 37, 100), (5, 9, 2), (36, 37, 1), (0, 1000, 7), (37, 40, 5)])
        try await check(count: 1, ranges: [(0, 1, 500), (0, 100, 1), (1, 2, 10)])
    }

    @Test("a bad from, to or buckets is refused naming the field")
    func badValues() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            try await client.logPoints(owner.token, run: run, key: "loss", range: 0..<10, batch: 10)
            for (query, field) in [
                ("from=-1", "from"), ("from=abc", "from"), ("from=5&to=3", "to"), ("to=-2", "to"), ("to=1.5", "to"),
                ("buckets=0", "buckets"),
            ] {
                let answer = try await client.call(
                    .get, "/v1/runs/\(run)/metrics/downsampled?key=loss&\(query)", token: owner.token)
                #expect(answer.status == .badRequest, "\(query)")
                #expect(answer.body["error"]?["field"]?.text == field, "\(query): \(answer.body)")
            }
            let empty = try await client.call(
                .get, "/v1/runs/\(run)/metrics/downsampled?key=loss&from=4&to=4", token: owner.token)
            #expect(empty.status == .ok && empty.body["items"]?.arrayValue?.isEmpty == true)
        }
    }
}
