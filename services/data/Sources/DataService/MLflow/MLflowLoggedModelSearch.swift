import Auth
import Foundation
import Hummingbird
import Platform

/// `POST logged-models/search`: the models of some experiments, filtered (`MLflowLoggedModelFilter`)
/// and ordered in memory — an experiment holds a model per run at most, so a few thousand —
/// paged by an offset token.
enum MLflowLoggedModelSearch {
    static let defaultPageSize = 100
    static let maxPageSize = 1000

    static func register(
        _ api: APIBuilder<AuthRequestContext>, _ models: MLflowLoggedModelStore, _ tracking: MLflowTracking
    ) {
        MLflowScope.on(
            api, .post, "logged-models/search",
            OperationDoc(
                "MLflow: search the logged models of experiments (viewers) by filter, ordered, in pages",
                tags: ["mlflow"],
                body: Schema.object([
                    "experiment_ids": Schema.array(of: Schema.string), "filter": Schema.string,
                    "max_results": Schema.integer, "order_by": Schema.array(of: Schema.anyObject),
                    "page_token": Schema.string, "datasets": Schema.array(of: Schema.anyObject),
                ]),
                response: Schema.object([
                    "models": Schema.array(of: MLflowLoggedModelRoutes.modelSchema), "next_page_token": Schema.string,
                ]))
        ) { request, context in
            let body = JSONValue.object(try await MLflowMessage.body(of: request, context: context).fields)
            var experimentIDs: [String] = []
            for item in body["experiment_ids"]?.arrayValue ?? [] {
                guard let id = item.stringValue else {
                    throw APIError.invalidField("experiment_ids", "experiment ids are strings")
                }
                experimentIDs.append(try await tracking.experiment(id, context, needs: .viewer).id)
            }
            let filter = try MLflowLoggedModelFilter(try MLflowLoggedModelInput.text(body["filter"], field: "filter"))
            let limit = Int(try MLflowMessage.int64(body["max_results"], field: "max_results") ?? 100)
            guard (1...maxPageSize).contains(limit) else {
                throw APIError.invalidField("max_results", "max_results is from 1 to \(maxPageSize)")
            }
            let offset =
                try body["page_token"]?.stringValue.map { token in
                    guard let offset = Int(token), offset >= 0 else {
                        throw APIError.invalidField("page_token", "not a page token of this search")
                    }
                    return offset
                } ?? 0
            let found = experimentIDs.isEmpty ? [] : try await models.models(in: experimentIDs)
            guard found.count <= MLflowLoggedModelStore.searchCeiling else {
                throw APIError.invalidField(
                    "experiment_ids",
                    "these experiments hold over \(MLflowLoggedModelStore.searchCeiling) logged models; search fewer")
            }
            let ordered = try order(found.filter(filter.matches), by: body["order_by"])
            let page = ordered.dropFirst(offset).prefix(limit)
            var answer: [String: JSONValue] = ["models": .array(page.map { $0.mlflowJSON() })]
            if offset + page.count < ordered.count { answer["next_page_token"] = .string(String(offset + page.count)) }
            return JSONResponse(JSONValue.object(answer))
        }
    }

    /// MLflow's `order_by` (`field_name`, `ascending`); newest first by default, ties by id.
    static func order(_ models: [MLflowLoggedModel], by value: JSONValue?) throws -> [MLflowLoggedModel] {
        typealias Key = (MLflowLoggedModel, MLflowLoggedModel) -> ComparisonResult
        let keys: [(Key, Bool)] = try (value?.arrayValue ?? []).map { item in
            let ascending = item["ascending"] ?? .bool(true) != .bool(false)
            let key: Key
            switch item["field_name"]?.stringValue {
            case "creation_timestamp", "creation_time":
                key = { compare($0.creationTimestampMs, $1.creationTimestampMs) }
            case "last_updated_timestamp": key = { compare($0.lastUpdatedTimestampMs, $1.lastUpdatedTimestampMs) }
            case "name": key = { compare($0.name, $1.name) }
            case "model_id": key = { compare($0.id, $1.id) }
            default:
                throw APIError.invalidField(
                    "order_by", "order by creation_timestamp, last_updated_timestamp, name or model_id")
            }
            return (key, ascending)
        }
        let ordering =
            keys.isEmpty ? [({ compare($0.creationTimestampMs, $1.creationTimestampMs) } as Key, false)] : keys
        return models.sorted { left, right in
            for (key, ascending) in ordering {
                switch key(left, right) {
                case .orderedAscending: return ascending
                case .orderedDescending: return !ascending
                case .orderedSame: continue
                }
            }
            return left.id < right.id
        }
    }

    private static func compare<T: Comparable>(_ left: T, _ right: T) -> ComparisonResult {
        left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
    }
}
