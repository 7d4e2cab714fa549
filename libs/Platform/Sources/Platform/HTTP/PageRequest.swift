import Hummingbird

/// Keyset pagination as every list endpoint takes it: `?limit=&after=<last id of the previous
/// page>`, answered with `{"items": [...], "nextAfter": "<id>"}` while more may follow.
public struct PageRequest: Sendable {
    public let limit: Int
    public let after: String?

    /// The query parameters for an endpoint's OpenAPI description.
    public static func parameters(maxLimit: Int = 500, defaultLimit: Int = 100) -> [OperationDoc.QueryParameter] {
        [
            .init("limit", Schema.integer, "page size, 1–\(maxLimit) (default \(defaultLimit))"),
            .init("after", Schema.id, "the last id of the previous page"),
        ]
    }

    /// Reads `limit` and `after`; a bad value is 400 naming it.
    public init(_ request: Request, maxLimit: Int = 500, defaultLimit: Int = 100) throws {
        let query = request.uri.queryParameters
        if let text = query.get("limit") {
            guard let value = Int(text), (1...maxLimit).contains(value) else {
                throw APIError.invalidField("limit", "limit is an integer from 1 to \(maxLimit)")
            }
            limit = value
        } else {
            limit = defaultLimit
        }
        after = query.get("after")
        if let after, !ID.isValid(after) { throw APIError.invalidField("after", "after is an id from a previous page") }
    }

    /// The answer for one page of documents: `nextAfter` only when the page is full.
    public func response(_ page: [JSONValue], view: (JSONValue) -> JSONValue = { $0 }) -> JSONValue {
        var body: [String: JSONValue] = ["items": .array(page.map(view))]
        if page.count == limit, let last = page.last?["id"] { body["nextAfter"] = last }
        return .object(body)
    }
}
