import Auth
import Foundation
import Platform
import Store

/// `POST /v1/runs/search`: runs of one project (optionally some of its experiments) matching a
/// filter, in any order the filter language can name, a page at a time. The page token is the
/// last run's sort values and id, so the next page starts after it whatever was written since.
struct RunSearch: Sendable {
    struct Request: Decodable {
        let projectId: String
        let experimentIds: [String]?
        let filter: String?
        let orderBy: [String]?
        let view: String?
        let limit: Int?
        let pageToken: String?
    }

    static let maxLimit = 1000
    static let defaultOrder = [SortKey.descending("startTime")]

    let store: any DocumentStore

    func search(_ request: Request) async throws -> (runs: [JSONValue], nextPageToken: String?) {
        var parts: [JSONValue] = [["projectId": .string(request.projectId)]]
        switch request.view ?? "active" {
        case "all": break
        case let view where Lifecycle(rawValue: view) != nil: parts.append(["lifecycle": .string(view)])
        default: throw APIError.invalidField("view", "view is active, trashed or all")
        }
        if let experiments = request.experimentIds {
            guard (1...100).contains(experiments.count) else { throw APIError.invalidField("experimentIds", "give 1–100 experiment ids, or none for the whole project") }
            for (index, id) in experiments.enumerated() where !ID.isValid(id) { throw APIError.invalidField("experimentIds.\(index)", "an experiment id") }
            parts.append(["experimentId": ["$in": .array(experiments.map(JSONValue.string))]])
        }
        if let text = request.filter {
            do {
                if let expression = try RunFilterParser.parse(text) { parts.append(try RunFilterTranslation.filter(expression)) }
            } catch let error as RunFilterSyntaxError {
                throw APIError.badRequest(error.message, code: "invalid_filter", field: "filter", position: error.position)
            }
        }
        let limit = request.limit ?? 100
        guard (1...Self.maxLimit).contains(limit) else { throw APIError.invalidField("limit", "limit is from 1 to \(Self.maxLimit)") }
        let sort = try request.orderBy.map(Self.sortKeys) ?? Self.defaultOrder
        let after = try request.pageToken.map { try Self.decodeToken($0) }
        let runs = try await store.find("runs", Query(filter: ["$and": .array(parts)], sort: sort, limit: limit, after: after))
        let next = runs.count == limit ? runs.last.map { Self.encodeToken(last: $0, sort: sort) } : nil
        return (runs, next)
    }

    /// `["metrics.acc desc", "startTime"]`: fields as the filter language names them, each
    /// optionally followed by asc or desc; keyset paging needs one direction for all.
    static func sortKeys(_ orderBy: [String]) throws -> [SortKey] {
        guard orderBy.count <= 5 else { throw APIError.invalidField("orderBy", "order by at most 5 fields") }
        let keys = try orderBy.enumerated().map { index, clause -> SortKey in
            var words = clause.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            var descending = false
            if let last = words.last?.lowercased(), ["asc", "desc"].contains(last), words.count > 1 {
                descending = last == "desc"
                words.removeLast()
            }
            // Parsed by the filter grammar itself, so aliases and quoting match.
            guard let field = try? RunFilterParser.parseField(words.joined(separator: " ")) else {
                throw APIError.invalidField("orderBy.\(index)", "\(clause) does not name a field (e.g. metrics.accuracy desc, startTime)")
            }
            let path = try RunFilterTranslation.documentPath(field)
            return descending ? .descending(path) : .ascending(path)
        }
        guard Set(keys.map(\.descending)).count <= 1 else {
            throw APIError.invalidField("orderBy", "every orderBy field goes in one direction (all asc or all desc)")
        }
        return keys.isEmpty ? defaultOrder : keys
    }

    static func encodeToken(last run: JSONValue, sort: [SortKey]) -> String {
        var token: JSONValue = ["id": run["id"] ?? .null]
        for key in sort {
            let components = key.path.split(separator: ".").map(String.init)
            let value = components.reduce(Optional(run)) { $0?[$1] } ?? .null
            token = token.setting(components[...], to: value)
        }
        return Base64URL.encode(Data(token.jsonText.utf8))
    }

    static func decodeToken(_ token: String) throws -> JSONValue {
        guard let data = Base64URL.decode(token), let value = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
              let id = value["id"]?.stringValue, ID.isValid(id)
        else { throw APIError.invalidField("pageToken", "pageToken is the nextPageToken of a previous page") }
        return value
    }
}

extension JSONValue {
    /// A copy with `value` at the nested path, creating objects on the way.
    func setting(_ path: ArraySlice<String>, to value: JSONValue) -> JSONValue {
        guard let head = path.first else { return value }
        var members = objectValue ?? [:]
        members[head] = (members[head] ?? [:]).setting(path.dropFirst(), to: value)
        return .object(members)
    }
}
