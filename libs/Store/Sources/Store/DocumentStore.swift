import Platform

/// Named collections of JSON documents (docs/design.md §3). Every document is a JSON object with a
/// string `id` (a UUIDv7 the service made). Filters and updates use MongoDB's operators so the
/// MongoDB backend passes them through and the SQLite backend compiles them to SQL.
///
/// ```swift
/// try await store.insert(["id": .string(ID.make()), "name": "run-1", "metrics": ["acc": 0.93]], into: "runs")
/// let best = try await store.find("runs", Query(filter: ["metrics.acc": ["$gt": 0.9]], sort:
/// [.descending("metrics.acc")], limit: 10))
/// ```
public protocol DocumentStore: Sendable {
    /// Creates the collection if needed and its declared indexes (idempotent; run at start).
    func prepare(_ collection: CollectionSpec) async throws
    /// Fails with `StoreError.duplicate` when `id` or a unique index is taken.
    func insert(_ document: JSONValue, into collection: String) async throws
    func get(_ id: String, from collection: String) async throws -> JSONValue?
    func find(_ collection: String, _ query: Query) async throws -> [JSONValue]
    func count(_ collection: String, filter: JSONValue) async throws -> Int
    /// Applies `$set`/`$unset`/`$inc`/`$push` to the first (`many: false`) or every match;
    /// returns how many documents changed.
    @discardableResult
    func update(_ collection: String, filter: JSONValue, update: JSONValue, many: Bool) async throws -> Int
    /// Atomically finds the first match in `sort` order, updates it and returns the result
    /// (job claiming, counters); nil when nothing matched.
    func findOneAndUpdate(
        _ collection: String, filter: JSONValue, sort: [SortKey], update: JSONValue
    ) async throws -> JSONValue?
    @discardableResult
    func delete(_ collection: String, filter: JSONValue) async throws -> Int
    /// Applies every operation or none (one transaction): how a service writes a change and
    /// its outbox events together.
    func batch(_ operations: [WriteOperation]) async throws
    /// Answers when the store can be used (for `/ready`).
    func checkReachable() async throws

    /// Full-text search over the collection's declared `textFields` (SQLite FTS5 with BM25, a
    /// MongoDB text index): see `TextSearch`. A collection without text fields is an error.
    func search(_ collection: String, _ search: TextSearch) async throws -> [ScoredDocument]

    /// For each of `fields`, its most common values (up to `limit`, most documents first, ties
    /// by value) among the documents matching `text` (when given) and `filter`. Array fields
    /// count each element; documents without the field count for nothing.
    func facets(
        _ collection: String, text: String?, filter: JSONValue, fields: [String], limit: Int
    ) async throws -> [String: [FacetCount]]
}

/// One write inside `DocumentStore.batch`.
public enum WriteOperation: Sendable {
    case insert(JSONValue, into: String)
    case update(String, filter: JSONValue, update: JSONValue, many: Bool)
    /// Updates the first document `filter` matches, and fails the whole batch with
    /// `StoreError.conflict` when none does: the check of a read-modify-write whose filter
    /// names the state it read, so a writer that raced it starts again instead of losing one.
    case updateOrConflict(String, filter: JSONValue, update: JSONValue)
    case delete(String, filter: JSONValue)
}

/// A collection and its indexes, as declared in db/<domain>/.
public struct CollectionSpec: Sendable, Hashable {
    public struct Index: Sendable, Hashable {
        public let fields: [String]
        public let unique: Bool
        public init(_ fields: [String], unique: Bool = false) {
            self.fields = fields
            self.unique = unique
        }
    }

    public let name: String
    public let indexes: [Index]
    /// Roots whose every child is indexed without being named in advance: with `["params"]`,
    /// a filter on any `params.<name>` is answered from an index, not a scan.
    public let dynamicKeys: [String]
    /// True when the service checks that every child of a dynamic root is a scalar or null:
    /// then the key/value index holds every document that has the key, and a page sorted by it
    /// descending (documents without it last) can be read in its order with no condition on it.
    public let scalarDynamicKeys: Bool
    /// Whether the SQLite backend gathers planner statistics (ANALYZE) for it. Off for a
    /// collection whose indexed fields are skewed (most jobs `queued`, without a node): the
    /// averages would make a lookup of the rare value look like half the table and send it
    /// through a scan, where without them SQLite trusts the index.
    public let plannerStatistics: Bool
    /// The fields `search` looks in, with their weights (at most one text index per collection).
    public let textFields: [TextField]

    public init(
        _ name: String, indexes: [Index] = [], dynamicKeys: [String] = [], scalarDynamicKeys: Bool = false,
        plannerStatistics: Bool = true, textFields: [TextField] = []
    ) {
        self.name = name
        self.indexes = indexes
        self.dynamicKeys = dynamicKeys
        self.scalarDynamicKeys = scalarDynamicKeys
        self.plannerStatistics = plannerStatistics
        self.textFields = textFields
    }
}

public struct SortKey: Sendable, Hashable {
    public let path: String
    public let descending: Bool

    public static func ascending(_ path: String) -> SortKey { SortKey(path: path, descending: false) }
    public static func descending(_ path: String) -> SortKey { SortKey(path: path, descending: true) }
}

public struct Query: Sendable {
    public var filter: JSONValue
    public var sort: [SortKey]
    public var limit: Int?
    /// Keyset pagination: the last document of the previous page; results continue after it
    /// in `sort` order (ties broken by `id`).
    public var after: JSONValue?

    public init(filter: JSONValue = [:], sort: [SortKey] = [], limit: Int? = nil, after: JSONValue? = nil) {
        self.filter = filter
        self.sort = sort
        self.limit = limit
        self.after = after
    }
}

/// A store failure callers can act on; backends map their own errors onto these codes.
public struct StoreError: Error, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case duplicate
        /// A `WriteOperation.updateOrConflict` found the state it expected changed.
        case conflict
        case invalidField = "invalid_field"
        case invalidFilter = "invalid_filter"
        case invalidUpdate = "invalid_update"
        case invalidDocument = "invalid_document"
        case tooLarge = "document_too_large"
        case unavailable = "store_unavailable"
    }

    public let code: Code
    public let message: String
    /// The dotted path at fault, when one is.
    public let field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code.rawValue): \(message)" + (field.map { " (\($0))" } ?? "") }
}

extension StoreError {
    /// What a backend throws when an `updateOrConflict` matched nothing.
    public static func unmatched(_ collection: String) -> StoreError {
        StoreError(.conflict, "the \(collection) document changed while this request was writing it; retry")
    }
}

extension StoreError: APIErrorConvertible {
    public var apiError: APIError {
        switch code {
        case .duplicate: .conflict(message, code: "duplicate", field: field)
        case .conflict: .conflict(message, code: "write_conflict", field: field)
        case .tooLarge: APIError(.contentTooLarge, code: code.rawValue, message: message, field: field)
        case .unavailable: .unavailable(message)
        default: .badRequest(message, code: code.rawValue, field: field)
        }
    }
}
