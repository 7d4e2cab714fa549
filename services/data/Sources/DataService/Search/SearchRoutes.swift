import Auth
import Foundation
import Hummingbird
import Platform

/// Run search, with the project's viewers' rights.
enum SearchRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        let search = RunSearch(store: core.store)
        api.post(
            "/v1/runs/search",
            OperationDoc(
                """
                Search a project's runs (viewers). `filter` combines comparisons (= != < <= > >=), IN, NOT IN and BETWEEN on \
                attributes (status, name, startTime, endTime, user, experimentId, id), params.<key>, metrics.<key> (latest value) \
                and tags.<key> with AND, OR, NOT and parentheses, e.g. `metrics.accuracy > 0.9 and (params.optimizer = "adam" or \
                params.optimizer in ("sgd", "rmsprop"))`. A syntax error is a 400 whose `position` is its column.
                """,
                tags: ["runs"],
                body: Schema.object(
                    [
                        "projectId": Schema.id, "experimentIds": Schema.array(of: Schema.id), "filter": Schema.string,
                        "orderBy": Schema.array(of: Schema.string),
                        "view": Schema.enumeration(["active", "trashed", "all"]),
                        "limit": Schema.integer, "pageToken": Schema.string,
                    ], required: ["projectId"]),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Run")), "nextPageToken": Schema.string], required: ["items"])
            )
        ) { request, context in
            let body = try await request.decodeJSON(as: RunSearchRequest.self, context: context)
            _ = try await core.project(try body.projectID(), context, needs: .viewer)
            let (runs, next) = try await search.search(try body.criteria())
            var answer: [String: JSONValue] = ["items": .array(runs.map { $0.view() })]
            if let next { answer["nextPageToken"] = .string(next) }
            return JSONResponse(JSONValue.object(answer))
        }
    }
}
