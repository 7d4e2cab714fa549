import Auth
import Foundation
import Platform
import Store

/// Runs the searches of `POST /v1/runs/search` (`RunSearchRequest`). The page token is the last
/// run's sort values and id, so the next page starts after it whatever was written since.
struct RunSearch: Sendable {
    /// A checked search, as the store is asked it.
    struct Criteria {
        let filter: JSONValue
        let sort: [SortKey]
        let limit: Int
        /// The last run of the previous page (its id and sort values).
        let after: JSONValue?
    }

    static let defaultOrder = [SortKey.descending("startTime")]

    let store: any DocumentStore

    func search(_ criteria: Criteria) async throws -> (runs: [Run], nextPageToken: String?) {
        let documents = try await store.find(
            Run.collection,
            Query(filter: criteria.filter, sort: criteria.sort, limit: criteria.limit, after: criteria.after))
        let next =
            documents.count == criteria.limit
            ? documents.last.map { Self.encodeToken(last: $0, sort: criteria.sort) } : nil
        return (try documents.map(Run.init(document:)), next)
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
        guard let data = Base64URL.decode(token),
            let value = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
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
