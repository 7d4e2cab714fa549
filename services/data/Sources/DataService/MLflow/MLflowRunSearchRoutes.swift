import Auth
import Foundation
import Hummingbird
import Platform
import Store

/// MLflow's SearchRuns, answered by our run search (`RunSearch`): MLflow's filter grammar is a
/// subset of ours (`RunFilterParser`), its `order_by` names fields the same way, so the store
/// filters, orders and pages with the same indexes our own `POST /v1/runs/search` uses.
enum MLflowRunSearchRoutes {
    static let maxResults = 50_000
    static let defaultResults = 1000

    static func register(_ api: APIBuilder<AuthRequestContext>, _ tracking: MLflowTracking) {
        MLflowScope.on(
            api, .post, "runs/search",
            OperationDoc(
                """
                MLflow SearchRuns in the tracking URI's project (viewers): `filter` in MLflow's grammar (and ours: OR, NOT, \
                parentheses, IN, BETWEEN) on attributes, params, metrics and tags; `order_by` like ["metrics.acc DESC", \
                "attributes.start_time"] (one direction for all); run_view_type ACTIVE_ONLY, DELETED_ONLY or ALL; \
                max_results up to 50000 (default 1000); page_token from next_page_token
                """,
                tags: ["mlflow"],
                body: Schema.object([
                    "experiment_ids": Schema.array(of: Schema.string), "filter": Schema.string,
                    "run_view_type": Schema.enumeration(["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]),
                    "max_results": Schema.integer, "order_by": Schema.array(of: Schema.string),
                    "page_token": Schema.string,
                ]),
                response: Schema.object([
                    "runs": Schema.array(of: MLflowRunRoutes.run), "next_page_token": Schema.string,
                ]))
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let (project, _) = try await tracking.scope.project(context, needs: .viewer)
            let runSearch = try await criteria(message, project: project, tracking: tracking, context: context)
            let (runs, next) = try await runSearch.run(store: tracking.core.store)
            var answer: [String: JSONValue] = ["runs": .array(runs.map { MLflowViews.run($0) })]
            if let next { answer["next_page_token"] = .string(next) }
            return JSONResponse(JSONValue.object(answer))
        }
    }

    /// The request as our search's criteria, every field checked (400 naming the first bad one).
    static func criteria(
        _ message: MLflowMessage, project: Project, tracking: MLflowTracking, context: AuthRequestContext
    ) async throws -> MLflowRunSearch {
        var parts: [JSONValue] = [["projectId": .string(project.id)]]
        if let lifecycle = try MLflowViews.lifecycle(viewType: message.fields["run_view_type"], field: "run_view_type")
        {
            parts.append(["lifecycle": .string(lifecycle.rawValue)])
        }
        let requested = try message.strings("experiment_ids")
        guard requested.count <= 1000 else {
            throw APIError.invalidField("experiment_ids", "at most 1000 experiment ids")
        }
        if !requested.isEmpty {
            var ids: [JSONValue] = []
            for id in requested {
                if id == MLflowTracking.defaultExperimentID {
                    // Experiment "0" of a project that never logged to it holds no runs.
                    let found = try await tracking.core.experiments.experiment(
                        named: MLflowTracking.defaultExperimentName, in: project.id)
                    if let found { ids.append(.string(found.id)) }
                } else if ID.isValid(id) {
                    ids.append(.string(id))
                }
            }
            // Ids that name nothing match nothing, as MLflow's search of an unknown experiment finds no run.
            parts.append(["experimentId": ["$in": .array(ids.isEmpty ? [.string("")] : ids)]])
        }
        let filter = try MLflowRunFilter(try message.string("filter") ?? "")
        if let stored = filter.storeFilter { parts.append(stored) }
        let limit = try message.int64("max_results") ?? Int64(defaultResults)
        guard (1...Int64(maxResults)).contains(limit) else {
            throw APIError.invalidField(
                "max_results", "Invalid value \(limit) for parameter 'max_results' supplied: from 1 to \(maxResults)")
        }
        let orderBy = try message.strings("order_by")
        let sort: [SortKey]
        do {
            sort = try RunSearchRequest.sortKeys(orderBy.map(Self.ourOrderClause))
        } catch let error as APIError {
            throw APIError.invalidField(
                (error.field ?? "orderBy").replacingOccurrences(of: "orderBy", with: "order_by"), error.message)
        }
        let token = try message.string("page_token").map(MLflowRunSearch.PageToken.init)
        return MLflowRunSearch(
            criteria: RunSearch.Criteria(
                filter: ["$and": .array(parts)], sort: sort, limit: Int(limit), after: token?.after),
            patterns: filter.patterns, inMissingPhase: token?.missingPhase ?? false)
    }

    /// MLflow writes the direction in capitals (`metrics.acc DESC`); ours takes it in any case.
    private static func ourOrderClause(_ clause: String) -> String {
        var words = clause.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if let last = words.last, ["ASC", "DESC"].contains(last.uppercased()), words.count > 1 {
            words[words.count - 1] = last.lowercased()
        }
        return words.joined(separator: " ")
    }
}
