import Auth
import Foundation
import Hummingbird
import NIOCore
import Platform

/// MLflow's metric reads: a key's full history (paged if asked) from our stored points, and the
/// sampled histories of several runs for charts (get-history-bulk-interval).
enum MLflowMetricRoutes {
    /// A history page without `max_results` is the whole series, as MLflow's server answers;
    /// this bounds one response.
    static let maxHistory = 1_000_000
    static let maxBulkRuns = 100
    static let maxBulkResults = 2500

    static func register(_ api: APIBuilder<AuthRequestContext>, _ tracking: MLflowTracking) {
        let metrics = tracking.core.metrics
        let metricSchema = Schema.object([
            "key": Schema.string, "value": MLflowViews.metricValueSchema, "timestamp": Schema.integer,
            "step": Schema.integer,
        ])

        MLflowScope.on(
            api, .get, "metrics/get-history",
            OperationDoc(
                "MLflow GetMetricHistory: a key's points in the order they were logged; max_results and page_token page them (viewers)",
                tags: ["mlflow"],
                query: [
                    .init("run_id", Schema.string, "the run's id", required: true),
                    .init("metric_key", Schema.string, "the metric's key", required: true),
                    .init("max_results", Schema.integer, "points per page (default: all, up to \(maxHistory))"),
                    .init("page_token", Schema.string, "next_page_token of the previous page"),
                ],
                response: Schema.object([
                    "metrics": Schema.array(of: metricSchema), "next_page_token": Schema.string,
                ]))
        ) { request, context in
            let message = MLflowMessage.query(of: request)
            let key = try message.string("metric_key", required: true) ?? ""
            try FieldKey.validate(key, field: "metric_key")
            let limit = try message.int64("max_results") ?? Int64(maxHistory)
            guard (1...Int64(maxHistory)).contains(limit) else {
                throw APIError.invalidField("max_results", "max_results is from 1 to \(maxHistory)")
            }
            let offset = try message.string("page_token").map(MLflowPageToken.offset) ?? 0
            let run = try await tracking.run(message, context, needs: .viewer)
            guard let series = try await metrics.series(of: run, key: key) else {
                return historyResponse(key: key, points: [], next: nil)
            }
            let points = try await metrics.points(of: series, after: offset, limit: Int(limit))
            let more = offset + points.count < Int(series.count)
            return historyResponse(
                key: key, points: points, next: more ? MLflowPageToken.token(offset: offset + points.count) : nil)
        }

        MLflowScope.on(
            api, .get, "metrics/get-history-bulk-interval",
            OperationDoc(
                "MLflow GetMetricHistoryBulkInterval: for each run (up to 100), up to max_results points of the key spread evenly over the steps in [start_step, end_step], always with the first and last step; long series are read from the downsampling tiers (viewers)",
                tags: ["mlflow"],
                query: [
                    .init("run_ids", Schema.string, "a run's id; repeat for more runs", required: true),
                    .init("metric_key", Schema.string, "the metric's key", required: true),
                    .init("start_step", Schema.integer, "the first step of the range (with end_step)"),
                    .init("end_step", Schema.integer, "the last step of the range (with start_step)"),
                    .init(
                        "max_results", Schema.integer, "points per run, 1–\(maxBulkResults) (default \(maxBulkResults))"
                    ),
                ],
                response: Schema.object(["metrics": Schema.array(of: Schema.anyObject)]))
        ) { request, context in
            let message = MLflowMessage.query(of: request)
            let runIDs = try message.strings("run_ids")
            guard !runIDs.isEmpty else { throw MLflowMessage.missing("run_ids") }
            guard runIDs.count <= maxBulkRuns else {
                throw APIError.invalidField(
                    "run_ids",
                    "GetMetricHistoryBulkInterval request must specify at most \(maxBulkRuns) run_ids. Received \(runIDs.count) run_ids."
                )
            }
            let key = try message.string("metric_key", required: true) ?? ""
            try FieldKey.validate(key, field: "metric_key")
            let limit = try message.int64("max_results") ?? Int64(maxBulkResults)
            guard (1...Int64(maxBulkResults)).contains(limit) else {
                throw APIError.invalidField("max_results", "max_results must be between 1 and \(maxBulkResults).")
            }
            let start = try message.int64("start_step")
            let end = try message.int64("end_step")
            guard (start == nil) == (end == nil) else {
                throw APIError.invalidField(
                    "start_step", "If either start step or end step are specified, both must be specified.")
            }
            if let start, let end, start > end {
                throw APIError.invalidField(
                    "end_step",
                    "end_step must be greater than start_step. Found start_step=\(start) and end_step=\(end).")
            }
            let range = start.flatMap { start in end.map { start...$0 } }
            var answer: [JSONValue] = []
            for runID in runIDs {
                let run = try await tracking.run(
                    MLflowMessage(fields: ["run_id": .string(runID)]), context, needs: .viewer)
                guard let series = try await metrics.series(of: run, key: key) else { continue }
                let sampled = try await MLflowSampling.sample(
                    series, steps: range, maxResults: Int(limit), metrics: metrics)
                for sample in sampled {
                    var entry = point(key, sample)
                    entry["run_id"] = .string(run.id)
                    answer.append(entry)
                }
            }
            return JSONResponse(["metrics": .array(answer)] as JSONValue)
        }
    }

    /// get-history's answer written straight as text: a history is up to a million points, and
    /// building each as a JSON object first costs more than reading it from the store.
    static func historyResponse(key: String, points: [MetricPoint], next: String?) -> Response {
        let quotedKey = JSONValue.string(key).jsonText
        var text = #"{"metrics":["#
        text.reserveCapacity(points.count * (quotedKey.utf8.count + 64) + 64)
        for (index, point) in points.enumerated() {
            if index > 0 { text += "," }
            // A stored value is finite (its description is a JSON number) or NaN, which MLflow's
            // server writes as protobuf's JSON mapping does (`MLflowViews.metricValue`).
            let value = point.value.isNaN ? #""NaN""# : point.value.description
            text +=
                #"{"key":\#(quotedKey),"step":\#(point.step),"timestamp":\#(point.timestamp),"value":\#(value)}"#
        }
        text += "]"
        if let next { text += #","next_page_token":\#(JSONValue.string(next).jsonText)"# }
        text += "}"
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func point(_ key: String, _ point: MetricPoint) -> JSONValue {
        [
            "key": .string(key), "value": MLflowViews.metricValue(point.value), "timestamp": .int(point.timestamp),
            "step": .int(point.step),
        ]
    }
}
