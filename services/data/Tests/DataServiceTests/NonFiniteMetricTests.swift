import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

/// NaN and ±Infinity as MLflow's server keeps them: NaN is a value (null in our JSON, "NaN" on
/// MLflow's routes), ±Infinity is clamped to ±1.7976931348623157e308.
@Suite("data: NaN and infinite metric values")
struct NonFiniteMetricTests {
    static let largest = Double.greatestFiniteMagnitude

    /// Point i of a long series: NaN at every 97th point and throughout points 2048..<2112 (whole
    /// buckets of the finest tier), otherwise `MetricTests.value`.
    static func value(_ index: Int) -> Double {
        index % 97 == 0 || (2048..<2112).contains(index) ? .nan : MetricTests.value(index)
    }

    /// How our API writes a value: null for NaN.
    static func json(_ value: Double) -> JSONValue { value.isNaN ? .null : .double(value) }

    /// An answered value as text to compare: null reads "nan", an absent member "absent", so
    /// NaN equals NaN and a whole number read back as an integer still equals its double.
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil: "absent"
        case .null?: "nan"
        case let number?: number.numberValue.map { "\($0)" } ?? number.jsonText
        }
    }

    static func texts(_ values: JSONValue?, _ member: String = "value") -> [String] {
        (values?.arrayValue ?? []).map { text($0[member]) }
    }

    /// min and max over the values that are not NaN (NaN when all are), as the tiers keep them.
    static func bounds(_ values: some Collection<Double>) -> (min: String, max: String) {
        let numbers = values.filter { !$0.isNaN }
        return ("\(numbers.min() ?? .nan)", "\(numbers.max() ?? .nan)")
    }

    @Test(
        "a point's value may be a number, null, \"NaN\", \"Infinity\" or \"-Infinity\"; any other string is a 400",
        arguments: StoreBackend.allCases)
    func ingest(backend: StoreBackend) async throws {
        let owner = try await newUser()
        try await dataApp(store: try backend.url()).test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let logged = try await client.call(
                .post, "/v1/runs/\(run)/metrics", token: owner.token,
                json: #"""
                    {"points": [{"key": "loss", "value": 0.5, "step": 0}, {"key": "loss", "value": null, "step": 1},
                                {"key": "loss", "value": "NaN", "step": 2}, {"key": "loss", "value": "Infinity", "step": 3},
                                {"key": "loss", "value": "-Infinity", "step": 4}, {"key": "loss", "value": "NaN", "step": 5}]}
                    """#)
            #expect(logged.status == .ok, "\(logged.body)")
            let history = try await client.call(.get, "/v1/runs/\(run)/metrics/history?key=loss", token: owner.token)
            #expect(
                Self.texts(history.body["items"]) == [
                    "0.5", "nan", "nan", "\(Self.largest)", "\(-Self.largest)", "nan",
                ])

            // The latest point is NaN; min and max are over the other values.
            let summary = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(Self.text(summary["metrics"]?["loss"]) == "nan")
            #expect(summary["metricSummaries"]?["loss"]?["min"]?.numberValue == -Self.largest)
            #expect(summary["metricSummaries"]?["loss"]?["max"]?.numberValue == Self.largest)
            let series = try await client.call(.get, "/v1/runs/\(run)/metrics", token: owner.token).body
            #expect(Self.text(series["items"]?.arrayValue?.first?["last"]?["value"]) == "nan")
            #expect(series["items"]?.arrayValue?.first?["count"] == 6)

            for bad in [#""abc""#, #""nan""#, #""inf""#, "true", "[1]"] {
                let refused = try await client.call(
                    .post, "/v1/runs/\(run)/metrics", token: owner.token,
                    json: #"{"points": [{"key": "loss", "value": 1}, {"key": "loss", "value": \#(bad)}]}"#)
                #expect(refused.status == .badRequest, "\(bad)")
                #expect(refused.body["error"]?["field"] == "points.1.value", "\(bad)")
            }
            #expect(
                try await client.call(.get, "/v1/runs/\(run)/metrics/history?key=loss", token: owner.token).body[
                    "count"]
                    == 6, "nothing of a refused batch is stored")
        }
    }

    @Test("a one-point NaN series, kept in its run, reads back everywhere; a second point stores it apart")
    func onePoint() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let logged = try await client.call(
                .post, "/v1/runs/\(run)/metrics", token: owner.token,
                json: #"{"points": [{"key": "loss", "value": "NaN", "step": 3, "timestamp": 7}]}"#)
            #expect(logged.status == .ok, "\(logged.body)")
            let summary = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(Self.text(summary["metrics"]?["loss"]) == "nan")
            #expect(
                summary["metricSummaries"]?["loss"] == ["min": nil, "max": nil, "step": 3, "timestamp": 7, "count": 1])
            let history = try await client.call(.get, "/v1/runs/\(run)/metrics/history?key=loss", token: owner.token)
            #expect(history.body["items"] == [["value": nil, "step": 3, "timestamp": 7]])
            let view = try await client.call(.get, "/v1/runs/\(run)/metrics/downsampled?key=loss", token: owner.token)
            #expect(Self.texts(view.body["items"], "last") == ["nan"])
            #expect(Self.texts(view.body["items"], "min") == ["nan"])
            let series = try await client.call(.get, "/v1/runs/\(run)/metrics", token: owner.token).body
            #expect(series["items"]?.arrayValue?.first?["count"] == 1)

            _ = try await client.call(
                .post, "/v1/runs/\(run)/metrics", token: owner.token,
                json: #"{"points": [{"key": "loss", "value": 1.5, "step": 4}]}"#)
            let both = try await client.call(.get, "/v1/runs/\(run)/metrics/history?key=loss", token: owner.token)
            #expect(Self.texts(both.body["items"]) == ["nan", "1.5"])
            let after = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(Self.text(after["metrics"]?["loss"]) == "1.5")
            #expect(Self.text(after["metricSummaries"]?["loss"]?["min"]) == "1.5")
        }
    }

    @Test(
        "a long series with NaNs reads back through history, the tiers' views and its run",
        arguments: [(buckets: 2500, backend: StoreBackend.sqlite), (33, .sqlite), (5000, .mongodb)])
    func longSeries(buckets: Int, backend: StoreBackend) async throws {
        let count = 20_011
        let values = (0..<count).map(Self.value)
        let owner = try await newUser()
        try await dataApp(store: try backend.url()).test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            // Odd batch sizes, so batches end inside tier buckets and tiers are built from stored NaNs.
            var start = 0
            while start < count {
                let end = min(start + 3001, count)
                let points = (start..<end).map {
                    #"{"key": "loss", "value": \#(Self.json(values[$0]).jsonText), "step": \#($0)}"#
                }
                let answer = try await client.call(
                    .post, "/v1/runs/\(run)/metrics", token: owner.token,
                    json: #"{"points": [\#(points.joined(separator: ","))]}"#)
                try #require(answer.status == .ok, "\(answer.body)")
                start = end
            }

            let history = try await client.call(
                .get, "/v1/runs/\(run)/metrics/history?key=loss&limit=25000", token: owner.token)
            #expect(Self.texts(history.body["items"]) == values.map { "\($0)" })

            let view = try await client.call(
                .get, "/v1/runs/\(run)/metrics/downsampled?key=loss&buckets=\(buckets)", token: owner.token
            ).body
            let width = Int(view["bucketWidth"]?.intValue ?? 0)
            let items = view["items"]?.arrayValue ?? []
            #expect(width > 1 && items.count == (count + width - 1) / width)
            var allNaN = 0
            for (index, bucket) in items.enumerated() {
                let slice = values[(index * width)..<min(count, (index + 1) * width)]
                let (low, high) = Self.bounds(slice)
                if low == "nan" { allNaN += 1 }
                #expect(Self.text(bucket["min"]) == low, "bucket \(index)")
                #expect(Self.text(bucket["max"]) == high, "bucket \(index)")
                #expect(Self.text(bucket["last"]) == "\(slice.last ?? 0)", "bucket \(index)")
            }
            if width <= 64 { #expect(allNaN > 0, "some bucket holds only NaNs") }

            let summary = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            let (low, high) = Self.bounds(values)
            #expect(Self.text(summary["metricSummaries"]?["loss"]?["min"]) == low)
            #expect(Self.text(summary["metricSummaries"]?["loss"]?["max"]) == high)
            #expect(Self.text(summary["metrics"]?["loss"]) == "\(values[count - 1])")
        }
    }

    @Test(
        "search: a NaN never matches a comparison but !=, and sorts where a missing value does, across pages",
        arguments: StoreBackend.allCases)
    func search(backend: StoreBackend) async throws {
        let owner = try await newUser()
        try await dataApp(store: try backend.url()).test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            for (name, loss) in [
                ("a", "0.5"), ("nan", #""NaN""#), ("c", "2"), ("missing", nil), ("big", #""Infinity""#),
            ] {
                let id = try await client.newRun(owner.token, experiment: experiment, #"{"name": "\#(name)"}"#)
                let point = loss.map { #"{"key": "loss", "value": \#($0)}"# } ?? #"{"key": "acc", "value": 1}"#
                _ = try await client.call(
                    .post, "/v1/runs/\(id)/metrics", token: owner.token, json: #"{"points": [\#(point)]}"#)
            }
            for (filter, names) in [
                ("metrics.loss < 1", ["a"]), ("metrics.loss >= 1", ["c", "big"]), ("metrics.loss = 0.5", ["a"]),
                ("metrics.loss > 1e308", ["big"]),
            ] as [(String, Set<String>)] {
                let answer = try await client.search(owner.token, project: project, filter: filter)
                #expect(answer.status == .ok, "\(filter): \(answer.body)")
                #expect(
                    Set(answer.body["items"]?.arrayValue?.map { $0["name"]?.text ?? "" } ?? []) == names, "\(filter)")
            }
            let different = try await client.search(owner.token, project: project, filter: "metrics.loss != 0.5")
            #expect(different.body["items"]?.arrayValue?.contains { $0["name"] == "nan" } == true)

            for (order, valued) in [("asc", ["a", "c", "big"]), ("desc", ["big", "c", "a"])] {
                var names: [String] = []
                var token: String?
                repeat {
                    let page = try await client.search(
                        owner.token, project: project, orderBy: #"["metrics.loss \#(order)"]"#, limit: 1,
                        pageToken: token)
                    #expect(page.status == .ok, "\(page.body)")
                    names += page.body["items"]?.arrayValue?.map { $0["name"]?.text ?? "" } ?? []
                    token = page.body["nextPageToken"]?.stringValue
                } while token != nil && names.count < 10
                // Nulls sort lowest: first ascending, last descending, NaN and missing alike.
                let ends = order == "asc" ? Array(names.prefix(2)) : Array(names.suffix(2))
                #expect(Set(ends) == ["nan", "missing"] && names.count == 5, "\(order): \(names)")
                #expect(names.filter { valued.contains($0) } == valued, "\(order): \(names)")
            }
        }
    }

    @Test("MLflow's routes take what its client sends and answer a NaN as \"NaN\", an infinity clamped")
    func mlflowRoutes() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let run = try await client.mlflowRun(owner.token, experiment: "0", name: "diverged")
            let one = try await client.mlflow(
                "runs/log-metric", owner.token,
                json: #"{"run_id": "\#(run)", "key": "loss", "value": "NaN", "timestamp": 1, "step": 0}"#)
            #expect(one.status == .ok, "\(one.body)")
            let batch = try await client.mlflow(
                "runs/log-batch", owner.token,
                json: #"""
                    {"run_id": "\#(run)", "metrics": [
                        {"key": "loss", "value": "Infinity", "timestamp": 2, "step": 1},
                        {"key": "loss", "value": "-Infinity", "timestamp": 3, "step": 2},
                        {"key": "loss", "value": "NaN", "timestamp": 4, "step": 3}]}
                    """#)
            #expect(batch.status == .ok, "\(batch.body)")
            let refused = try await client.mlflow(
                "runs/log-metric", owner.token, json: #"{"run_id": "\#(run)", "key": "loss", "value": "abc"}"#)
            #expect(refused.status == .badRequest)

            let expected: [JSONValue] = ["NaN", .double(Self.largest), .double(-Self.largest), "NaN"]
            let history = try await client.mlflowGet(
                "metrics/get-history", owner.token, query: "run_id=\(run)&metric_key=loss")
            #expect(history.body["metrics"]?.arrayValue?.map { $0["value"] ?? "absent" } == expected)
            let bulk = try await client.mlflowGet(
                "metrics/get-history-bulk-interval", owner.token, query: "run_ids=\(run)&metric_key=loss")
            #expect(bulk.body["metrics"]?.arrayValue?.map { $0["value"] ?? "absent" } == expected)
            let got = try await client.mlflowGet("runs/get", owner.token, query: "run_id=\(run)")
            #expect(got.body["run"]?["data"]?["metrics"]?.mlflowPairs["loss"] == "NaN")

            let ours = try await client.call(.get, "/v1/runs/\(run)/metrics/history?key=loss", token: owner.token)
            #expect(Self.texts(ours.body["items"]) == ["nan", "\(Self.largest)", "\(-Self.largest)", "nan"])
        }
    }

    @Test("MLflow search: a NaN run comes after every value in both directions, across pages")
    func mlflowSearch() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            for (index, loss) in ["0.5", #""NaN""#, "0.25", "0.75"].enumerated() {
                let run = try await client.mlflowRun(owner.token, experiment: "0", name: "r\(index)")
                try await client.mlflow(
                    "runs/log-metric", owner.token,
                    json: #"{"run_id": "\#(run)", "key": "loss", "value": \#(loss), "timestamp": 1}"#)
            }
            for (order, expected) in [("ASC", ["r2", "r0", "r3", "r1"]), ("DESC", ["r3", "r0", "r2", "r1"])] {
                var names: [String] = []
                var token: String?
                repeat {
                    let tokenMember = token.map { #", "page_token": "\#($0)""# } ?? ""
                    let page = try await client.mlflow(
                        "runs/search", owner.token,
                        json:
                            #"{"experiment_ids": ["0"], "max_results": 1, "order_by": ["metrics.loss \#(order)"]\#(tokenMember)}"#
                    )
                    #expect(page.status == .ok, "\(page.body)")
                    names += page.body["runs"]?.arrayValue?.map { $0["info"]?["run_name"]?.text ?? "" } ?? []
                    token = page.body["next_page_token"]?.stringValue
                } while token != nil && names.count < 10
                #expect(names == expected, "\(order)")
            }
            let below = try await client.mlflow(
                "runs/search", owner.token, json: #"{"experiment_ids": ["0"], "filter": "metrics.loss < 1"}"#)
            #expect(below.body["runs"]?.arrayValue?.count == 3)
        }
    }
}
