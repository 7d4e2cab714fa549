import Auth
import Foundation
import Hummingbird
import Platform

/// Metrics of a run: editors append points in batches; viewers read a key's full series page
/// by page, or a downsampled view for charts. Keys travel as a query parameter because they
/// may hold slashes (`train/loss`).
enum MetricRoutes {
    static let maxHistoryPage = 25_000

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        let metrics = core.metrics
        let keyParameter = OperationDoc.QueryParameter("key", Schema.string, "the metric's key", required: true)

        api.post(
            "/v1/runs/{id}/metrics",
            OperationDoc(
                "Append up to 10,000 metric points (editors); step defaults to 0 and timestamp (epoch ms) to now. A value is a number; NaN is null or \"NaN\", and \"Infinity\" / \"-Infinity\" are kept as ±1.7976931348623157e308, as MLflow does. NaN reads back as null",
                tags: ["metrics"],
                body: Schema.object(
                    [
                        "points": Schema.array(
                            of: Schema.object(
                                [
                                    "key": Schema.string, "value": MetricValue.inputSchema, "step": Schema.integer,
                                    "timestamp": Schema.integer,
                                ], required: ["key", "value"]
                            ))
                    ], required: ["points"]),
                response: Schema.object(["accepted": Schema.integer], required: ["accepted"])
            )
        ) { request, context in
            let run = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let batch = try MetricBatch(body: try await request.parseJSON(context: context))
            try await metrics.append(batch, to: run)
            return JSONResponse(["accepted": .int(Int64(batch.count))] as JSONValue)
        }

        api.get(
            "/v1/runs/{id}/metrics",
            OperationDoc(
                "The run's metric keys with their point count, min, max and latest point (viewers)", tags: ["metrics"],
                response: Schema.object(["items": Schema.array(of: Schema.anyObject)], required: ["items"])
            )
        ) { _, context in
            let run = try await core.run(try context.parameters.requireID("id"), context, needs: .viewer)
            let series = try await metrics.series(of: run)
            return JSONResponse(["items": .array(series.map { $0.view() })] as JSONValue)
        }

        api.get(
            "/v1/runs/{id}/metrics/history",
            OperationDoc(
                "A key's points in the order they were logged, paged: `after` is the number of points already read (viewers)",
                tags: ["metrics"],
                query: [
                    keyParameter, .init("after", Schema.integer, "points to skip (the previous page's nextAfter)"),
                    .init("limit", Schema.integer, "page size, 1–\(maxHistoryPage) (default 1000)"),
                ],
                response: Schema.object(
                    [
                        "key": Schema.string, "count": Schema.integer, "items": Schema.array(of: Schema.anyObject),
                        "nextAfter": Schema.integer,
                    ], required: ["key", "count", "items"])
            )
        ) { request, context in
            let (series, key) = try await seriesOfRequest(request, context, core)
            let after = try integer(request, "after", default: 0, in: 0...Int.max)
            let limit = try integer(request, "limit", default: 1000, in: 1...maxHistoryPage)
            let count = Int(series?.count ?? 0)
            var points: [MetricPoint] = []
            if let series { points = try await metrics.points(of: series, after: after, limit: limit) }
            var body: [String: JSONValue] = [
                "key": .string(key), "count": .int(Int64(count)), "items": .array(points.map(\.view)),
            ]
            if after + points.count < count { body["nextAfter"] = .int(Int64(after + points.count)) }
            return JSONResponse(JSONValue.object(body))
        }

        api.get(
            "/v1/runs/{id}/metrics/downsampled",
            OperationDoc(
                "A key's series for a chart, or the points `from ..< to` of it (by arrival index): at most `buckets` consecutive buckets with their exact min, max, last value, step range and the points they cover (`start`, `count`) (viewers). Buckets are aligned to `bucketWidth` from point 0, so a range is answered with the aligned buckets it touches: the first may start before `from`, the last end after `to`. `to` past the series is cut to its end; `from` at or past it gives no buckets",
                tags: ["metrics"],
                query: [
                    keyParameter, .init("buckets", Schema.integer, "the most buckets wanted, 1–5000 (default 1000)"),
                    .init("from", Schema.integer, "the first point index of the range, 0 up (default 0)"),
                    .init(
                        "to", Schema.integer,
                        "the point index after the range, at least `from` (default: the series' end)"),
                ],
                response: Schema.object(
                    [
                        "key": Schema.string, "count": Schema.integer, "bucketWidth": Schema.integer,
                        "from": Schema.integer, "to": Schema.integer, "items": Schema.array(of: Schema.anyObject),
                    ], required: ["key", "count", "from", "to", "items"])
            )
        ) { request, context in
            let (series, key) = try await seriesOfRequest(request, context, core)
            let buckets = try integer(request, "buckets", default: 1000, in: 1...5000)
            let from = try integer(request, "from", default: 0, in: 0...Int.max)
            let to = try integer(request, "to", default: Int.max, in: from...Int.max)
            let count = Int(series?.count ?? 0)
            // Cut to the series as it is now: a chart asks for ranges of a series that may still grow.
            let range = (from..<to).clamped(to: 0..<count)
            var view: (width: Int, buckets: [JSONValue]) = (1, [])
            if let series {
                view = try await Downsampling.view(of: series, buckets: buckets, range: range, metrics: metrics)
            }
            return JSONResponse(
                [
                    "key": .string(key), "count": .int(Int64(count)), "bucketWidth": .int(Int64(view.width)),
                    "from": .int(Int64(range.lowerBound)), "to": .int(Int64(range.upperBound)),
                    "items": .array(view.buckets),
                ] as JSONValue)
        }
    }

    /// The run's series named by `?key=` (nil when nothing was logged under it yet).
    private static func seriesOfRequest(
        _ request: Request, _ context: AuthRequestContext, _ core: DataCore
    ) async throws -> (MetricSeries?, String) {
        let run = try await core.run(try context.parameters.requireID("id"), context, needs: .viewer)
        guard let key = request.uri.queryParameters.get("key"), !key.isEmpty else {
            throw APIError.invalidField("key", "key is required")
        }
        try FieldKey.validate(key, field: "key")
        return (try await core.metrics.series(of: run, key: key), key)
    }

    private static func integer(
        _ request: Request, _ name: String, default value: Int, in range: ClosedRange<Int>
    ) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.invalidField(
                name,
                "\(name) is an integer from \(range.lowerBound)\(range.upperBound == Int.max ? " up" : " to \(range.upperBound)")"
            )
        }
        return number
    }
}
