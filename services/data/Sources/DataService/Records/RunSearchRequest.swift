import Foundation
import Platform
import Store

/// `POST /v1/runs/search`: runs of one project (optionally some of its experiments) matching a
/// filter, in any order the filter language can name, a page at a time.
struct RunSearchRequest: Decodable {
    let projectId: String
    let experimentIds: [String]?
    let filter: String?
    let orderBy: [String]?
    let view: String?
    let limit: Int?
    let pageToken: String?

    static let maxLimit = 1000

    /// The project, checked first: whether the caller may view it comes before the rest.
    func projectID() throws -> String {
        guard ID.isValid(projectId) else { throw APIError.invalidField("projectId", "projectId is an id") }
        return projectId
    }

    /// The search as the store runs it, after checking every field (400 naming the first bad
    /// one; a filter's syntax error also gives its column).
    func criteria() throws -> RunSearch.Criteria {
        var parts: [JSONValue] = [["projectId": .string(projectId)]]
        switch view ?? "active" {
        case "all": break
        case let view where Lifecycle(rawValue: view) != nil: parts.append(["lifecycle": .string(view)])
        default: throw APIError.invalidField("view", "view is active, trashed or all")
        }
        if let experimentIds {
            guard (1...100).contains(experimentIds.count) else {
                throw APIError.invalidField("experimentIds", "give 1–100 experiment ids, or none for the whole project")
            }
            for (index, id) in experimentIds.enumerated() where !ID.isValid(id) {
                throw APIError.invalidField("experimentIds.\(index)", "an experiment id")
            }
            parts.append(["experimentId": ["$in": .array(experimentIds.map(JSONValue.string))]])
        }
        if let filter {
            do {
                if let expression = try RunFilterParser.parse(filter) {
                    parts.append(try RunFilterTranslation.filter(expression))
                }
            } catch let error as RunFilterSyntaxError {
                throw APIError.badRequest(
                    error.message, code: "invalid_filter", field: "filter", position: error.position)
            }
        }
        let limit = limit ?? 100
        guard (1...Self.maxLimit).contains(limit) else {
            throw APIError.invalidField("limit", "limit is from 1 to \(Self.maxLimit)")
        }
        let sort = try orderBy.map(Self.sortKeys) ?? RunSearch.defaultOrder
        let after = try pageToken.map(RunSearch.decodeToken)
        return RunSearch.Criteria(filter: ["$and": .array(parts)], sort: sort, limit: limit, after: after)
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
                throw APIError.invalidField(
                    "orderBy.\(index)", "\(clause) does not name a field (e.g. metrics.accuracy desc, startTime)")
            }
            let path = try RunFilterTranslation.documentPath(field)
            return descending ? .descending(path) : .ascending(path)
        }
        guard Set(keys.map(\.descending)).count <= 1 else {
            throw APIError.invalidField("orderBy", "every orderBy field goes in one direction (all asc or all desc)")
        }
        return keys.isEmpty ? RunSearch.defaultOrder : keys
    }
}
