import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: metric series, history and the downsampled view")
struct MetricTests {
    /// A deterministic series with ups and downs, so min, max and last all differ per bucket.
    static func value(_ index: Int) -> Double { Double((index * 7919) % 1000) / 10 - Double(index % 13) }

    @Test(
        "history pages through every point; the run keeps latest, min and max per key", arguments: StoreBackend.allCases
    )
    func history(backend: StoreBackend) async throws {
        let owner = try await newUser()
        try await dataApp(store: try backend.url()).test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            try await client.logPoints(owner.token, run: run, key: "train/loss", range: 0..<2500, batch: 1000)
            var values: [Double] = []
            var after = 0
            while true {
                let page = try await client.call(
                    .get, "/v1/runs/\(run)/metrics/history?key=train/loss&limit=700&after=\(after)", token: owner.token
                ).body
                values += page["items"]?.arrayValue?.compactMap { $0["value"]?.numberValue } ?? []
                guard let next = page["nextAfter"]?.intValue else { break }
                after = Int(next)
            }
            #expect(values == (0..<2500).map(Self.value))
            let summary = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(summary["metrics"]?["train/loss"]?.numberValue == Self.value(2499))
            #expect(summary["metricSummaries"]?["train/loss"]?["min"]?.numberValue == (0..<2500).map(Self.value).min())
            #expect(summary["metricSummaries"]?["train/loss"]?["max"]?.numberValue == (0..<2500).map(Self.value).max())

            // Latest is the greatest step, not the last to arrive.
            _ = try await client.call(
                .post, "/v1/runs/\(run)/metrics", token: owner.token,
                json: #"{"points": [{"key": "acc", "value": 0.9, "step": 5}, {"key": "acc", "value": 0.5, "step": 2}]}"#
            )
            #expect(
                try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body["metrics"]?["acc"]?.numberValue
                    == 0.9)
            let keys = try await client.call(.get, "/v1/runs/\(run)/metrics", token: owner.token).body["items"]?
                .arrayValue?.map { $0["key"]?.text ?? "" }
            #expect(keys?.sorted() == ["acc", "train/loss"])

            let bad = try await client.call(
                .post, "/v1/runs/\(run)/metrics", token: owner.token,
                json: #"{"points": [{"key": "a", "value": 1}, {"key": "b", "value": "high"}]}"#)
            #expect(bad.status == .badRequest)
            #expect(bad.body["error"]?["field"] == "points.1.value")
            #expect(
                try await client.call(.get, "/v1/runs/\(run)/metrics/history?key=a", token: owner.token).body["count"]
                    == 0, "nothing of a refused batch is stored")
        }
    }

    @Test(
        "the downsampled view equals min, max and last computed from the full series",
        arguments: [
            (count: 37, buckets: 100), (count: 1000, buckets: 7), (count: 5000, buckets: 1000),
            (count: 20011, buckets: 33), (count: 70000, buckets: 50),
        ])
    func downsampled(count: Int, buckets: Int) async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            // Odd batch sizes, so batches end inside tier buckets and inside tier documents.
            try await client.logPoints(owner.token, run: run, key: "loss", range: 0..<count, batch: 9973)
            let view = try await client.call(
                .get, "/v1/runs/\(run)/metrics/downsampled?key=loss&buckets=\(buckets)", token: owner.token
            ).body
            let items = view["items"]?.arrayValue ?? []
            let width = Int(view["bucketWidth"]?.intValue ?? 0)
            #expect(items.count <= buckets)
            #expect(items.count == (count + width - 1) / width)
            let series = (0..<count).map(Self.value)
            for (index, bucket) in items.enumerated() {
                let slice = series[(index * width)..<min(count, (index + 1) * width)]
                #expect(bucket["start"]?.intValue == Int64(index * width))
                #expect(bucket["min"]?.numberValue == slice.min(), "bucket \(index)")
                #expect(bucket["max"]?.numberValue == slice.max(), "bucket \(index)")
                #expect(bucket["last"]?.numberValue == slice.last, "bucket \(index)")
                #expect(bucket["firstStep"]?.intValue == Int64(index * width))
                #expect(bucket["lastStep"]?.intValue == Int64(index * width + slice.count - 1))
            }
        }
    }

    @Test("workers logging into one run at once all land, none refused as a conflict")
    func concurrentWriters() async throws {
        let owner = try await newUser()
        try await dataApp().test(.live) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        try await client.logPoints(
                            owner.token, run: run, key: "loss", range: worker * 100..<(worker + 1) * 100, batch: 25)
                    }
                }
                try await group.waitForAll()
            }
            let series = try await client.call(.get, "/v1/runs/\(run)/metrics", token: owner.token)
            #expect(series.body["items"]?.arrayValue?.first?["count"]?.intValue == 800, "\(series.body)")
        }
    }
}

extension TestClientProtocol {
    /// Logs `value(i)` at step i for every i in `range`, `batch` points per request.
    func logPoints(_ token: String, run: String, key: String, range: Range<Int>, batch: Int) async throws {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + batch, range.upperBound)
            let points = (start..<end).map {
                #"{"key": "\#(key)", "value": \#(MetricTests.value($0)), "step": \#($0), "timestamp": \#(1_700_000_000_000 + $0)}"#
            }
            let answer = try await call(
                .post, "/v1/runs/\(run)/metrics", token: token,
                json: #"{"points": [\#(points.joined(separator: ","))]}"#)
            #expect(answer.status == .ok, "\(answer.body)")
            start = end
        }
    }
}
