import Mongo
import Platform
import Store
import Synchronization

/// `DocumentStore` on MongoDB through libmongoc. Filters and updates are checked by the same
/// `Filter` and `Update` as on SQLite, then written back as MongoDB's own operators (our
/// top-level `$not` becomes `$nor`). Documents keep their `id` and also carry it as `_id`, so
/// MongoDB's primary key enforces uniqueness and reads drop `_id` again. Declared indexes are
/// created at `prepare`; dynamic keys get wildcard indexes (`params.$**`).
public final class MongoDocumentStore: DocumentStore {
    /// How `batch` keeps its writes together: multi-document transactions (replica sets and
    /// sharded clusters), or the write-ahead `BatchJournal` (standalone servers).
    public enum BatchMode: Sendable {
        case transactions, journal
    }

    let client: MongoClient
    private let skipped = Mutex<[String]>([])
    /// Starts as asked (transactions by default) and turns to the journal for good the first
    /// time the server refuses a transaction.
    private let mode: Mutex<BatchMode>
    /// Serializes this store's writes while journaling (the journal's one-writer assumption).
    private let writes = AsyncLock()
    private let recovered = Mutex(false)
    /// Collections `prepare` gave a text index.
    let textCollections = Mutex<Set<String>>([])

    /// What this server could not do that MongoDB does (wildcard indexes on nx-27017): queries
    /// stay correct, only slower. Services log it at start; docs/mongodb.md lists each.
    public var deviations: [String] { skipped.withLock { $0 } }

    /// `url`: `mongodb://host:port/database`.
    public init(url: String, batchMode: BatchMode = .transactions) throws {
        client = try MongoClient(url: url)
        mode = Mutex(batchMode)
    }

    public var batchMode: BatchMode { mode.withLock { $0 } }

    public func prepare(_ collection: CollectionSpec) async throws {
        try CollectionName.check(collection.name)
        // Batches a killed process committed to the journal are finished before anything else.
        if !recovered.withLock({ $0 }) {
            try await mapped { try await BatchJournal(client: self.client).recover() }
            recovered.withLock { $0 = true }
        }
        let declared = try collection.indexes.map { index in
            let fields = try index.fields.map { try FieldPath($0).dotted }
            return MongoIndex(fields: fields, name: fields.joined(separator: "__"), unique: index.unique)
        }
        if !declared.isEmpty {
            try await mapped { try await self.client.createIndexes(collection.name, declared) }
        }
        try await prepareText(collection)
        for root in collection.dynamicKeys {
            let wildcard = MongoIndex(fields: [try FieldPath(root).dotted + ".$**"], name: "\(root)__wildcard")
            do {
                try await client.createIndexes(collection.name, [wildcard])
            } catch let error as MongoError {
                // MongoDB has had wildcard indexes since 4.2; a server without them answers the
                // same queries by scanning. Said, not hidden: see `deviations`.
                let note = "\(collection.name): no wildcard index on \(root).$** (\(error.message))"
                skipped.withLock { if !$0.contains(note) { $0.append(note) } }
            }
        }
    }

    public func insert(_ document: JSONValue, into collection: String) async throws {
        let stored = try Self.stored(document)
        try CollectionName.check(collection)
        try await guarded { try await self.client.insert(stored, into: collection) }
    }

    public func get(_ id: String, from collection: String) async throws -> JSONValue? {
        try CollectionName.check(collection)
        return try await mapped { try await self.client.find(collection, filter: ["_id": .string(id)], limit: 1) }.first
            .map(Self.loaded)
    }

    public func find(_ collection: String, _ query: Query) async throws -> [JSONValue] {
        try CollectionName.check(collection)
        var filter = try Self.mongoFilter(query.filter)
        if let after = query.after {
            filter = ["$and": [filter, try Self.mongoFilter(try Keyset.filter(sort: query.sort, after: after))]]
        }
        let order = try Self.sort(query.sort)
        if let limit = query.limit {
            guard limit >= 0 else { throw StoreError(.invalidFilter, "limit must not be negative", field: "limit") }
            if limit == 0 { return [] }
        }
        return try await mapped {
            try await self.client.find(collection, filter: filter, sort: order, limit: query.limit)
        }.map(Self.loaded)
    }

    public func count(_ collection: String, filter: JSONValue) async throws -> Int {
        try CollectionName.check(collection)
        let filter = try Self.mongoFilter(filter)
        return try await mapped { try await self.client.count(collection, filter: filter) }
    }

    @discardableResult
    public func update(_ collection: String, filter: JSONValue, update: JSONValue, many: Bool) async throws -> Int {
        try CollectionName.check(collection)
        let (filter, update) = (try Self.mongoFilter(filter), try Self.mongoUpdate(update))
        return try await guarded {
            try await self.client.update(collection, filter: filter, update: update, many: many)
        }
    }

    public func findOneAndUpdate(
        _ collection: String, filter: JSONValue, sort: [SortKey], update: JSONValue
    ) async throws -> JSONValue? {
        try CollectionName.check(collection)
        let (filter, update, order) = (try Self.mongoFilter(filter), try Self.mongoUpdate(update), try Self.sort(sort))
        return try await guarded {
            try await self.client.findOneAndUpdate(collection, filter: filter, sort: order, update: update)
        }.map(Self.loaded)
    }

    @discardableResult
    public func delete(_ collection: String, filter: JSONValue) async throws -> Int {
        try CollectionName.check(collection)
        let filter = try Self.mongoFilter(filter)
        return try await guarded { try await self.client.delete(collection, filter: filter) }
    }

    /// One multi-document transaction (MongoDB 4.0+ replica sets, 4.2+ sharded clusters), or
    /// on servers without them the write-ahead `BatchJournal`.
    public func batch(_ operations: [WriteOperation]) async throws {
        let writes: [MongoWrite] = try operations.map { operation in
            switch operation {
            case .insert(let document, let collection):
                try CollectionName.check(collection)
                return .insert(try Self.stored(document), into: collection)
            case .update(let collection, let filter, let update, let many):
                try CollectionName.check(collection)
                return .update(
                    collection, filter: try Self.mongoFilter(filter), update: try Self.mongoUpdate(update), many: many)
            case .updateOrConflict(let collection, let filter, let update):
                try CollectionName.check(collection)
                return .updateOrFail(
                    collection, filter: try Self.mongoFilter(filter), update: try Self.mongoUpdate(update))
            case .delete(let collection, let filter):
                try CollectionName.check(collection)
                return .delete(collection, filter: try Self.mongoFilter(filter))
            }
        }
        if batchMode == .transactions {
            do {
                return try await client.transaction(writes)
            } catch let error as MongoError where error.isTransactionsUnsupported {
                mode.withLock { $0 = .journal }
            } catch let error as MongoError {
                throw Self.storeError(error)
            }
        }
        try await guarded { try await BatchJournal(client: self.client).run(operations) }
    }

    public func checkReachable() async throws {
        try await mapped { try await self.client.command(["ping": 1]) }
    }

    // MARK: - translation

    /// A write: serialized with the others while journaling, else straight through.
    @discardableResult
    private func guarded<T>(_ body: () async throws -> T) async throws -> T {
        guard batchMode == .journal else { return try await mapped(body) }
        await writes.lock()
        do {
            let result = try await mapped(body)
            await writes.unlock()
            return result
        } catch {
            await writes.unlock()
            throw error
        }
    }

    /// Runs a client call, turning its errors into the store's typed ones.
    @discardableResult
    func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MongoError {
            throw Self.storeError(error)
        }
    }

    static func storeError(_ error: MongoError) -> StoreError {
        if error.code == MongoError.unmatchedUpdate { return StoreError(.conflict, error.message) }
        if error.isDuplicateKey {
            return StoreError(.duplicate, "a document with the same id or unique key exists: \(error.message)")
        }
        // 14 TypeMismatch ($inc on text), 2 BadValue, 9 FailedToParse, 52/56 bad field names.
        // nx-27017 reports the $inc case as 8 (UnknownError) with MongoDB's own message.
        if [2, 9, 14, 52, 56].contains(error.code) || error.message.hasPrefix("Cannot apply $inc") {
            return StoreError(.invalidUpdate, error.message)
        }
        if error.code == 10334 || error.code == 17419 { return StoreError(.tooLarge, error.message) }
        return StoreError(.unavailable, error.description)
    }

    static func stored(_ document: JSONValue) throws -> JSONValue {
        guard case .object = document, case .string(let id)? = document["id"], !id.isEmpty else {
            throw StoreError(.invalidDocument, "a document is a JSON object with a string id", field: "id")
        }
        var stored = document
        stored["_id"] = .string(id)
        return stored
    }

    static func loaded(_ document: JSONValue) -> JSONValue {
        var loaded = document
        if loaded["_id"] != nil { loaded["_id"] = nil }
        return loaded
    }

    /// Ties are broken by `id` in the keys' direction, as on SQLite.
    static func sort(_ keys: [SortKey]) throws -> MongoSort {
        var order: MongoSort = try keys.map { (try FieldPath($0.path).dotted, $0.descending) }
        if !order.contains(where: { $0.field == "id" }) { order.append(("id", keys.first?.descending ?? false)) }
        return order
    }

    static func mongoFilter(_ filter: JSONValue) throws -> JSONValue {
        render(try Filter(parsing: filter))
    }

    private static func render(_ filter: Filter) -> JSONValue {
        switch filter {
        case .all: return [:]
        case .and(let parts): return ["$and": .array(parts.map(render))]
        case .or(let parts): return ["$or": .array(parts.map(render))]
        case .not(let inner): return ["$nor": [render(inner)]]
        case .compare(let path, let comparison):
            let condition: JSONValue =
                switch comparison {
                case .eq(let value): ["$eq": value]
                case .ne(.null): Self.presentAndNotNull
                case .ne(let value): ["$ne": value]
                case .range(let op, let value): Self.bracketed(op, value)
                case .in(let values): ["$in": .array(values)]
                case .nin(let values): ["$nin": .array(values)]
                case .exists(let exists): ["$exists": .bool(exists)]
                case .containsAll(let values): ["$all": .array(values)]
                }
            return [path.dotted: condition]
        }
    }

    /// `$ne: null` with `$exists`, which changes nothing on MongoDB; nx-27017 matched a missing
    /// field with `$ne: null`, so a keyset page after a run lacking its sort key repeated it.
    private static let presentAndNotNull: JSONValue = ["$ne": nil, "$exists": true]

    /// A range that matches only values of the operand's kind, as MongoDB documents ("type
    /// bracketing"). The `$type` guard changes nothing on MongoDB; nx-27017 compares across
    /// kinds (`{$gt: 2}` matched "deep"), and this keeps both backends answering alike.
    private static func bracketed(_ op: String, _ value: JSONValue) -> JSONValue {
        switch value {
        case .int, .double: [op: value, "$type": "number"]
        case .string: [op: value, "$type": "string"]
        case .bool: [op: value, "$type": "bool"]
        default: [op: value]
        }
    }

    /// The update, checked; `$unset` operands become `""` as MongoDB documents them.
    static func mongoUpdate(_ update: JSONValue) throws -> JSONValue {
        var operators: [String: [String: JSONValue]] = [:]
        for (op, path, operand) in try Update(parsing: update).assignments {
            operators[op.rawValue, default: [:]][path.dotted] = op == .unset ? "" : operand
        }
        return .object(operators.mapValues { .object($0) })
    }
}
