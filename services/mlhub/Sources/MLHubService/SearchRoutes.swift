import Auth
import Foundation
import Hummingbird
import Platform

/// Finding models: full-text search with filters and facets, and leaderboards by a metric.
/// Both show only what the caller may see: public versions and those of its projects.
enum SearchRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: HubCore) {
        let search = HubSearch(store: core.store)

        api.get(
            "/v1/search",
            OperationDoc(
                "Model versions by full text over name, description, task, framework, tags and authors, filtered, with facet counts over every match; `order=best` (default: relevance with popularity, recency and stage, docs/mlhub.md), `recent` or `popular`. Pages (`pageToken`) go through the best \(HubSearch.window) candidates",
                tags: ["search"],
                query: [
                    .init("q", Schema.string, "words; any of them matches, stemmed"),
                    .init("task", Schema.string, "only this task"),
                    .init("framework", Schema.string, "only this framework"),
                    .init("tag", Schema.string, "only versions carrying this tag (key or key:value)"),
                    .init("stage", Schema.string, "only this stage"),
                    .init("owner", Schema.string, "only models of this user id"),
                    .init("projectId", Schema.id, "only this project"),
                    .init("runId", Schema.id, "only versions whose source is this run (a run page's lineage)"),
                    .init(
                        "order", Schema.enumeration(HubSearch.Order.allCases.map(\.rawValue)), "best, recent or popular"
                    ),
                    .init("facets", Schema.boolean, "count facets (default true)"),
                    .init("limit", Schema.integer, "page size, 1–100 (default 20)"),
                    .init("pageToken", Schema.string, "the previous page's nextPageToken"),
                ],
                response: Schema.object(
                    [
                        "items": Schema.array(of: Schema.ref("ModelVersion")), "facets": Schema.anyObject,
                        "total": Schema.integer, "nextPageToken": Schema.string,
                    ], required: ["items"])
            )
        ) { request, context in
            let query = request.uri.queryParameters
            var filters: [JSONValue] = [try await core.visibility(try context.requirePrincipal())]
            for (parameter, field) in [("task", "task"), ("framework", "framework"), ("owner", "owner")] {
                if let value = query.get(parameter) { filters.append([field: .string(value)]) }
            }
            if let stage = query.get("stage") { filters.append(["stage": .string(try Stage.named(stage).rawValue)]) }
            if let tag = query.get("tag") { filters.append(["tags": ["$all": [.string(tag)]]]) }
            if let project = query.get("projectId") {
                filters.append(["projectId": .string(try ModelFields.id(project, field: "projectId"))])
            }
            if let run = query.get("runId") {
                filters.append(["source.runId": .string(try ModelFields.id(run, field: "runId"))])
            }
            let order =
                try query.get("order").map { text in
                    guard let order = HubSearch.Order(rawValue: text) else {
                        throw APIError.invalidField("order", "order is best, recent or popular")
                    }
                    return order
                } ?? .best
            let limit = try integer(query.get("limit"), field: "limit", in: 1...100) ?? 20
            let offset = try integer(query.get("pageToken"), field: "pageToken", in: 0...HubSearch.window) ?? 0
            if let text = query.get("q"), text.count > 500 {
                throw APIError.invalidField("q", "a query has at most 500 characters")
            }
            let facets = query.get("facets").map { $0 != "false" } ?? true
            return JSONResponse(
                try await search.run(
                    .init(
                        text: query.get("q"), filter: filters.count == 1 ? filters[0] : ["$and": .array(filters)],
                        order: order, limit: limit, offset: offset, facets: facets
                    )))
        }

        api.get(
            "/v1/leaderboards",
            OperationDoc(
                "Versions ranked by a metric, for a task and/or a dataset version: ties share a rank (1, 2, 2, 4) and the earlier version is listed first; versions without the metric are left out and counted in `missingMetric`",
                tags: ["search"],
                query: [
                    .init("metric", Schema.string, "the metric to rank by", required: true),
                    .init("task", Schema.string, "only this task"),
                    .init("datasetVersionId", Schema.id, "only versions trained on this dataset version"),
                    .init(
                        "order", Schema.enumeration(["desc", "asc"]), "desc (default: higher is better) or asc (loss)"),
                    .init("limit", Schema.integer, "1–500 (default 50)"),
                ],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.anyObject), "missingMetric": Schema.integer],
                    required: ["items", "missingMetric"])
            )
        ) { request, context in
            let query = request.uri.queryParameters
            guard let metric = query.get("metric"), (try? ModelFields.metricKey(metric)) != nil else {
                throw APIError.invalidField("metric", "name the metric to rank by (a metric key)")
            }
            var filters: [JSONValue] = [try await core.visibility(try context.requirePrincipal())]
            if let task = query.get("task") { filters.append(["task": .string(task)]) }
            if let dataset = query.get("datasetVersionId") {
                filters.append([
                    "source.datasetVersionIds": [
                        "$all": [.string(try ModelFields.id(dataset, field: "datasetVersionId"))]
                    ]
                ])
            }
            let descending =
                try query.get("order").map { text in
                    guard text == "desc" || text == "asc" else {
                        throw APIError.invalidField("order", "order is desc or asc")
                    }
                    return text == "desc"
                } ?? true
            let limit = try integer(query.get("limit"), field: "limit", in: 1...500) ?? 50
            let board = try await search.leaderboard(
                metric: metric, filters: filters, descending: descending, limit: limit)
            return JSONResponse(try JSONValue(encoding: board))
        }
    }

    static func integer(_ text: String?, field: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.invalidField(field, "\(field) is an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
