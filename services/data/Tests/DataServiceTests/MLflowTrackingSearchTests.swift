import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: MLflow tracking API — run search and metric histories")
struct MLflowTrackingSearchTests {
    @Test(
        "search runs filters, orders and pages as MLflow's grammar says, within the project and the view",
        arguments: StoreBackend.allCases)
    func searchRuns(backend: StoreBackend) async throws {
        let owner = try await newUser()
        try await dataApp(store: try backend.url()).test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token, project: "sweep")
            let other =
                try await client.mlflow(
                    "experiments/create", owner.token, project: "sweep", json: #"{"name": "other"}"#
                ).body["experiment_id"]?.text ?? ""
            var runs: [String] = []
            for index in 0..<7 {
                let run = try await client.mlflowRun(
                    owner.token, experiment: experiment, name: "run-\(index)", project: "sweep")
                try await client.mlflow(
                    "runs/log-batch", owner.token,
                    json: #"""
                        {"run_id": "\#(run)", "metrics": [{"key": "acc", "value": \#(Double(index) / 10), "timestamp": 1, "step": 0}],
                         "params": [{"key": "optimizer", "value": "\#(index % 2 == 0 ? "adam" : "sgd")"}],
                         "tags": [{"key": "team", "value": "\#(index < 3 ? "vision" : "nlp")"}]}
                        """#)
                runs.append(run)
            }
            let elsewhere = try await client.mlflowRun(owner.token, experiment: other, project: "sweep")
            try await client.mlflow(
                "runs/log-metric", owner.token,
                json: #"{"run_id": "\#(elsewhere)", "key": "acc", "value": 0.99, "timestamp": 1}"#)
            // A run of the same user's default project never shows in this project's search.
            let outside = try await client.mlflowRun(owner.token, experiment: "0")
            try await client.mlflow(
                "runs/log-metric", owner.token,
                json: #"{"run_id": "\#(outside)", "key": "acc", "value": 0.98, "timestamp": 1}"#)

            func search(_ body: String) async throws -> (names: [String], token: String?) {
                let found = try await client.mlflow("runs/search", owner.token, project: "sweep", json: body)
                #expect(found.status == .ok, "\(found.body)")
                let names = found.body["runs"]?.arrayValue?.map { $0["info"]?["run_name"]?.text ?? "" } ?? []
                return (names, found.body["next_page_token"]?.stringValue)
            }
            #expect(
                try await search(
                    #"{"experiment_ids": ["\#(experiment)"], "filter": "metrics.acc > 0.35 and params.optimizer = 'adam'", "order_by": ["metrics.acc DESC"]}"#
                ).names == ["run-6", "run-4"])
            #expect(
                try await search(
                    #"{"experiment_ids": ["\#(experiment)"], "filter": "tags.team = \"vision\"", "order_by": ["attributes.run_name ASC"]}"#
                ).names == ["run-0", "run-1", "run-2"])
            #expect(
                try await search(
                    #"{"experiment_ids": ["\#(experiment)", "\#(other)"], "filter": "metrics.acc >= 0.6", "order_by": ["metrics.acc"]}"#
                ).names.count == 2)
            #expect(
                try await search(#"{"filter": "attributes.status = 'RUNNING' and metrics.acc > 0.95"}"#).names.count
                    == 1, "no experiment_ids: the whole project")
            #expect(
                try await search(#"{"experiment_ids": ["\#(experiment)"], "filter": "tags.`team` = 'nlp'"}"#).names
                    .count
                    == 4)

            // Pages follow one another without overlap, in order.
            var seen: [String] = []
            var token: String?
            repeat {
                let tokenMember = token.map { #", "page_token": "\#($0)""# } ?? ""
                let page = try await search(
                    #"{"experiment_ids": ["\#(experiment)"], "max_results": 3, "order_by": ["metrics.acc DESC"]\#(tokenMember)}"#
                )
                #expect(page.names.count <= 3)
                seen += page.names
                token = page.token
            } while token != nil
            #expect(seen == (0..<7).reversed().map { "run-\($0)" })

            // LIKE and ILIKE: a prefix is a range the store answers, other patterns are checked on what it finds.
            let scoped = #""experiment_ids": ["\#(experiment)"]"#
            #expect(
                try await search(#"{\#(scoped), "filter": "attributes.run_name LIKE 'run-%'"}"#).names.count == 7)
            #expect(
                try await search(#"{\#(scoped), "filter": "attributes.run_name ILIKE 'RUN-1'"}"#).names == ["run-1"])
            #expect(
                try await search(
                    #"{\#(scoped), "filter": "tags.team LIKE '%isi%' and metrics.acc > 0.05", "order_by": ["metrics.acc"]}"#
                ).names == ["run-1", "run-2"])
            var liked: [String] = []
            var likeToken: String?
            repeat {
                let tokenMember = likeToken.map { #", "page_token": "\#($0)""# } ?? ""
                let page = try await search(
                    #"{\#(scoped), "filter": "params.optimizer LIKE '%dam'", "max_results": 2, "order_by": ["metrics.acc DESC"]\#(tokenMember)}"#
                )
                #expect(page.names.count <= 2)
                liked += page.names
                likeToken = page.token
            } while likeToken != nil
            #expect(liked == ["run-6", "run-4", "run-2", "run-0"])
            let likeMetric = try await client.mlflow(
                "runs/search", owner.token, project: "sweep", json: #"{"filter": "metrics.acc LIKE '1%'"}"#)
            #expect(likeMetric.body["error_code"] == "INVALID_PARAMETER_VALUE")

            try await client.mlflow("runs/delete", owner.token, json: #"{"run_id": "\#(runs[6])"}"#)
            #expect(
                try await search(#"{"experiment_ids": ["\#(experiment)"], "filter": "metrics.acc > 0.55"}"#).names
                    == [])
            #expect(
                try await search(
                    #"{"experiment_ids": ["\#(experiment)"], "filter": "metrics.acc > 0.55", "run_view_type": "DELETED_ONLY"}"#
                ).names == ["run-6"])
            #expect(
                try await search(
                    #"{"experiment_ids": ["\#(experiment)"], "filter": "metrics.acc > 0.45", "run_view_type": "ALL", "order_by": ["metrics.acc DESC"]}"#
                ).names == ["run-6", "run-5"])

            for bad in [
                #"{"filter": "metrics.acc >"}"#, #"{"filter": "metrics.acc > 'high'"}"#,
                #"{"order_by": ["metrics.acc DESC", "params.optimizer ASC"]}"#, #"{"max_results": 50001}"#,
                #"{"page_token": "nonsense"}"#, #"{"run_view_type": "SOME"}"#,
            ] {
                let refused = try await client.mlflow("runs/search", owner.token, project: "sweep", json: bad)
                #expect(refused.status == .badRequest, "\(bad)")
                #expect(refused.body["error_code"] == "INVALID_PARAMETER_VALUE", "\(bad)")
            }
        }
    }

    @Test(
        "runs lacking the ordered metric come last in both directions, across pages", arguments: StoreBackend.allCases)
    func missingLast(backend: StoreBackend) async throws {
        let owner = try await newUser()
        try await dataApp(store: try backend.url()).test(.router) { client in
            for (index, loss) in [0.5, nil, 0.25, nil, 0.75].enumerated() {
                let run = try await client.mlflowRun(owner.token, experiment: "0", name: "r\(index)")
                if let loss {
                    try await client.mlflow(
                        "runs/log-metric", owner.token,
                        json: #"{"run_id": "\#(run)", "key": "loss", "value": \#(loss), "timestamp": 1}"#)
                }
            }
            func pages(_ order: String, size: Int) async throws -> [String] {
                var names: [String] = []
                var token: String?
                var requests = 0
                repeat {
                    let tokenMember = token.map { #", "page_token": "\#($0)""# } ?? ""
                    let page = try await client.mlflow(
                        "runs/search", owner.token,
                        json:
                            #"{"experiment_ids": ["0"], "max_results": \#(size), "order_by": ["\#(order)"]\#(tokenMember)}"#
                    )
                    #expect(page.status == .ok, "\(page.body)")
                    let found = page.body["runs"]?.arrayValue?.map { $0["info"]?["run_name"]?.text ?? "" } ?? []
                    #expect(found.count <= size)
                    names += found
                    token = page.body["next_page_token"]?.stringValue
                    requests += 1
                    if requests > 20 {
                        Issue.record("pages never end: \(names)")
                        break
                    }
                } while token != nil
                return names
            }
            for size in [1, 2, 3, 10] {
                let ascending = try await pages("metrics.loss ASC", size: size)
                #expect(Array(ascending.prefix(3)) == ["r2", "r0", "r4"], "page size \(size)")
                #expect(Set(ascending.suffix(2)) == ["r1", "r3"] && ascending.count == 5, "page size \(size)")
                let descending = try await pages("metrics.loss DESC", size: size)
                #expect(Array(descending.prefix(3)) == ["r4", "r0", "r2"], "page size \(size)")
                #expect(Set(descending.suffix(2)) == ["r1", "r3"] && descending.count == 5, "page size \(size)")
            }
        }
    }

    @Test("get-history answers every point in logged order, paged when asked")
    func history() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let run = try await client.mlflowRun(owner.token, experiment: "0")
            try await logMLflowPoints(client, owner.token, run: run, count: 2500)
            let all = try await client.mlflowGet(
                "metrics/get-history", owner.token, query: "run_id=\(run)&metric_key=train/loss")
            let points = all.body["metrics"]?.arrayValue ?? []
            #expect(points.count == 2500)
            #expect(points.map { $0["value"]?.numberValue ?? .nan } == (0..<2500).map(Self.value))
            #expect(points.map { $0["step"]?.intValue ?? -1 } == (0..<2500).map(Int64.init))
            #expect(points.last?["timestamp"]?.numberValue == 1_700_000_002_499)
            #expect(points.first?["key"] == "train/loss")
            #expect(all.body["next_page_token"] == nil)

            var paged: [Double] = []
            var token: String?
            repeat {
                let tokenQuery = token.map { "&page_token=\($0)" } ?? ""
                let page = try await client.mlflowGet(
                    "metrics/get-history", owner.token,
                    query: "run_id=\(run)&metric_key=train/loss&max_results=700\(tokenQuery)")
                paged += page.body["metrics"]?.arrayValue?.compactMap { $0["value"]?.numberValue } ?? []
                token = page.body["next_page_token"]?.stringValue
            } while token != nil
            #expect(paged == (0..<2500).map(Self.value))

            let none = try await client.mlflowGet(
                "metrics/get-history", owner.token, query: "run_id=\(run)&metric_key=never")
            #expect(none.status == .ok)
            #expect(none.body["metrics"] == [])
            let noKey = try await client.mlflowGet("metrics/get-history", owner.token, query: "run_id=\(run)")
            #expect(noKey.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let noRun = try await client.mlflowGet(
                "metrics/get-history", owner.token, query: "run_id=\(ID.make())&metric_key=a")
            #expect(noRun.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
        }
    }

    @Test(
        "get-history-bulk-interval samples each run evenly over the steps, always with the first and last, from all points or the tiers",
        arguments: [300, 4000, 60000])
    func bulkInterval(count: Int) async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let first = try await client.mlflowRun(owner.token, experiment: "0")
            let second = try await client.mlflowRun(owner.token, experiment: "0")
            try await logMLflowPoints(client, owner.token, run: first, count: count)
            try await logMLflowPoints(client, owner.token, run: second, count: count / 2)
            let values = (0..<count).map(Self.value)

            for maxResults in [1, 10, 320] {
                let answer = try await client.mlflowGet(
                    "metrics/get-history-bulk-interval", owner.token,
                    query: "run_ids=\(first)&run_ids=\(second)&metric_key=train/loss&max_results=\(maxResults)")
                #expect(answer.status == .ok, "\(answer.body)")
                let metrics = answer.body["metrics"]?.arrayValue ?? []
                for (run, length) in [(first, count), (second, count / 2)] {
                    let points = metrics.filter { $0["run_id"]?.text == run }
                    let steps = points.compactMap { $0["step"]?.intValue }
                    if length <= 25_000 {
                        #expect(points.count == min(maxResults, length), "all points read: exactly MLflow's sample")
                    } else {
                        // From the tiers: whole tier buckets, so up to max_results, at least half of it.
                        #expect(points.count <= maxResults && points.count * 2 >= maxResults, "\(points.count)")
                    }
                    #expect(steps == steps.sorted(), "ordered by step")
                    #expect(steps.last == Int64(length - 1), "the last step is always there")
                    if maxResults > 1 { #expect(steps.first == 0, "the first step is always there") }
                    for point in points {
                        let step = Int(point["step"]?.intValue ?? -1)
                        #expect(point["value"]?.numberValue == values[step], "each point is one that was logged")
                        #expect(point["key"] == "train/loss")
                    }
                    if maxResults > 2, length > maxResults {
                        // Evenly spread: no gap is more than twice the even one.
                        let gaps = zip(steps.dropFirst(), steps).map { $0 - $1 }
                        let even = Double(length - 1) / Double(maxResults - 1)
                        #expect(Double(gaps.max() ?? 0) <= 2 * even + 1, "gaps \(gaps.max() ?? 0) vs \(even)")
                    }
                }
            }

            let ranged = try await client.mlflowGet(
                "metrics/get-history-bulk-interval", owner.token,
                query: "run_ids=\(first)&metric_key=train/loss&start_step=100&end_step=250&max_results=20")
            let steps = ranged.body["metrics"]?.arrayValue?.compactMap { $0["step"]?.intValue } ?? []
            #expect(steps.count == 20)
            #expect(steps.first == 100)
            #expect(steps.last == 250)
            #expect(steps.allSatisfy { (100...250).contains($0) })

            for bad in [
                "metric_key=train/loss", "run_ids=\(first)", "run_ids=\(first)&metric_key=a&start_step=5",
                "run_ids=\(first)&metric_key=a&start_step=5&end_step=1",
                "run_ids=\(first)&metric_key=a&max_results=2501",
            ] {
                let refused = try await client.mlflowGet("metrics/get-history-bulk-interval", owner.token, query: bad)
                #expect(refused.body["error_code"] == "INVALID_PARAMETER_VALUE", "\(bad)")
            }
        }
    }

    static func value(_ index: Int) -> Double { Double((index * 7919) % 1000) / 10 - Double(index % 13) }

    /// Logs `value(i)` at step i, timestamp 1700000000000 + i, through MLflow's LogBatch (1000 a request).
    private func logMLflowPoints(
        _ client: some TestClientProtocol, _ token: String, run: String, count: Int
    ) async throws {
        var start = 0
        while start < count {
            let end = min(start + 1000, count)
            let metrics = (start..<end).map {
                #"{"key": "train/loss", "value": \#(Self.value($0)), "step": \#($0), "timestamp": \#(1_700_000_000_000 + $0)}"#
            }
            let answer = try await client.mlflow(
                "runs/log-batch", token,
                json: #"{"run_id": "\#(run)", "metrics": [\#(metrics.joined(separator: ","))]}"#)
            #expect(answer.status == .ok, "\(answer.body)")
            start = end
        }
    }
}
