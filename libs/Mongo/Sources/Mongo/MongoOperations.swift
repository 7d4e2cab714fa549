import CMongoC
import Platform

/// A sort order: fields in precedence order, each ascending or descending.
public typealias MongoSort = [(field: String, descending: Bool)]

/// An index to create: fields in order (a wildcard `params.$**` is one field).
public struct MongoIndex: Sendable {
    public let fields: [String]
    public let name: String
    public let unique: Bool

    public init(fields: [String], name: String, unique: Bool = false) {
        self.fields = fields
        self.name = name
        self.unique = unique
    }
}

/// One write of a transaction (`MongoClient.transaction`).
public enum MongoWrite: Sendable {
    case insert(JSONValue, into: String)
    case update(String, filter: JSONValue, update: JSONValue, many: Bool)
    /// An update of one document that fails the transaction (`MongoError.unmatchedUpdate`) when nothing matches.
    case updateOrFail(String, filter: JSONValue, update: JSONValue)
    case delete(String, filter: JSONValue)
}

extension MongoClient {
    public func insert(_ document: JSONValue, into collection: String) async throws {
        try await run { try $0.insert(document, into: collection, session: nil) }
    }

    /// Documents matching `filter`, in `sort` order, at most `limit`.
    public func find(
        _ collection: String, filter: JSONValue, sort: MongoSort = [], limit: Int? = nil
    ) async throws -> [JSONValue] {
        try await run { try $0.find(collection, filter: filter, sort: sort, limit: limit, read: BSON.json) }
    }

    public func count(_ collection: String, filter: JSONValue) async throws -> Int {
        try await run { connection in
            try connection.collection(collection) { handle in
                try BSON.with(filter) { filter in
                    var error = bson_error_t()
                    let count = mongoc_collection_count_documents(handle, filter, nil, nil, nil, &error)
                    guard count >= 0 else { throw MongoError(error) }
                    return Int(count)
                }
            }
        }
    }

    /// Returns how many documents matched.
    public func update(_ collection: String, filter: JSONValue, update: JSONValue, many: Bool) async throws -> Int {
        try await run { try $0.update(collection, filter: filter, update: update, many: many, session: nil) }
    }

    /// Replaces the document whose `_id` is `id` with `document`, inserting it when absent.
    public func replace(_ collection: String, id: String, with document: JSONValue) async throws {
        try await run { connection in
            try connection.collection(collection) { handle in
                try BSON.with(["_id": .string(id)]) { selector in
                    try BSON.with(document) { replacement in
                        try BSON.with(["upsert": true]) { options in
                            try BSON.withReply { reply in
                                var error = bson_error_t()
                                guard
                                    mongoc_collection_replace_one(handle, selector, replacement, options, reply, &error)
                                else { throw MongoError(error) }
                            }
                        }
                    }
                }
            }
        }
    }

    public func delete(_ collection: String, filter: JSONValue) async throws -> Int {
        try await run { try $0.delete(collection, filter: filter, session: nil) }
    }

    /// Atomically updates the first match in `sort` order and returns it as updated.
    public func findOneAndUpdate(
        _ collection: String, filter: JSONValue, sort: MongoSort, update: JSONValue
    ) async throws -> JSONValue? {
        try await run { connection in
            try connection.collection(collection) { handle in
                let options = mongoc_find_and_modify_opts_new()!
                defer { mongoc_find_and_modify_opts_destroy(options) }
                return try BSON.with(filter) { filter in
                    try BSON.with(ordered: sort.map { ($0.field, JSONValue.int($0.descending ? -1 : 1)) }) { sort in
                        try BSON.with(update) { update in
                            mongoc_find_and_modify_opts_set_sort(options, sort)
                            mongoc_find_and_modify_opts_set_update(options, update)
                            mongoc_find_and_modify_opts_set_flags(options, MONGOC_FIND_AND_MODIFY_RETURN_NEW)
                            return try BSON.withReply { reply in
                                var error = bson_error_t()
                                guard
                                    mongoc_collection_find_and_modify_with_opts(handle, filter, options, reply, &error)
                                else { throw MongoError(error) }
                                let value = BSON.json(reply)["value"]
                                return value == .null ? nil : value
                            }
                        }
                    }
                }
            }
        }
    }

    /// Creates indexes (idempotent: an existing index of the same name and keys is kept).
    public func createIndexes(_ collection: String, _ indexes: [MongoIndex]) async throws {
        let specs: [JSONValue] = indexes.map { index in
            [
                "key": BSON.order(index.fields.map { ($0, false) }),
                "name": .string(index.name), "unique": .bool(index.unique),
            ]
        }
        try await run { connection in
            try BSON.with(ordered: [("createIndexes", .string(collection)), ("indexes", .array(specs))]) { command in
                try BSON.withReply { reply in
                    var error = bson_error_t()
                    guard
                        mongoc_client_command_simple(
                            connection.client, connection.database, command, nil, reply, &error)
                    else { throw MongoError(error) }
                }
            }
        }
    }

    /// Creates the collection's text index over `fields` (dotted paths) with their weights
    /// (idempotent for the same fields; MongoDB allows one text index per collection).
    public func createTextIndex(_ collection: String, fields: [(path: String, weight: Double)]) async throws {
        let spec: JSONValue = [
            "key": BSON.ordered(fields.map { ($0.path, .string("text")) }), "name": "text",
            "weights": .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.path, .double($0.weight)) })),
        ]
        try await run { connection in
            try BSON.with(ordered: [("createIndexes", .string(collection)), ("indexes", .array([spec]))]) { command in
                try BSON.withReply { reply in
                    var error = bson_error_t()
                    guard
                        mongoc_client_command_simple(
                            connection.client, connection.database, command, nil, reply, &error)
                    else { throw MongoError(error) }
                }
            }
        }
    }

    /// A document whose keys keep their order on the way to BSON (for `$sort` stages and
    /// index keys inside a pipeline or command; JSON objects have no order).
    public static func ordered(_ members: [(String, JSONValue)]) -> JSONValue {
        BSON.ordered(members)
    }

    /// Runs an aggregation pipeline on `collection`: every document it yields (the driver
    /// fetches further batches as needed).
    public func aggregate(_ collection: String, pipeline: [JSONValue]) async throws -> [JSONValue] {
        try await run { connection in
            try connection.collection(collection) { handle in
                try BSON.with(["pipeline": .array(pipeline)]) { stages in
                    let cursor = mongoc_collection_aggregate(handle, MONGOC_QUERY_NONE, stages, nil, nil)!
                    defer { mongoc_cursor_destroy(cursor) }
                    var results: [JSONValue] = []
                    var document: OpaquePointer?
                    while mongoc_cursor_next(cursor, &document) {
                        if let document { results.append(BSON.json(document)) }
                    }
                    var error = bson_error_t()
                    if mongoc_cursor_error(cursor, &error) { throw MongoError(error) }
                    return results
                }
            }
        }
    }

    /// Runs a database command (`ping`, `dropDatabase`, …) and returns its reply.
    @discardableResult
    public func command(_ command: JSONValue) async throws -> JSONValue {
        try await run { connection in
            try BSON.with(command) { command in
                try BSON.withReply { reply in
                    var error = bson_error_t()
                    guard
                        mongoc_client_command_simple(
                            connection.client, connection.database, command, nil, reply, &error)
                    else { throw MongoError(error) }
                    return BSON.json(reply)
                }
            }
        }
    }

    /// Applies every write or none, in one multi-document transaction.
    public func transaction(_ writes: [MongoWrite]) async throws {
        try await run { connection in
            var error = bson_error_t()
            guard let session = mongoc_client_start_session(connection.client, nil, &error) else {
                throw MongoError(error)
            }
            defer { mongoc_client_session_destroy(session) }
            guard mongoc_client_session_start_transaction(session, nil, &error) else { throw MongoError(error) }
            do {
                for write in writes {
                    switch write {
                    case .insert(let document, let collection):
                        try connection.insert(document, into: collection, session: session)
                    case .update(let collection, let filter, let update, let many):
                        _ = try connection.update(
                            collection, filter: filter, update: update, many: many, session: session)
                    case .updateOrFail(let collection, let filter, let update):
                        let matched = try connection.update(
                            collection, filter: filter, update: update, many: false, session: session)
                        if matched == 0 {
                            throw MongoError(
                                code: MongoError.unmatchedUpdate, message: "no \(collection) document matched")
                        }
                    case .delete(let collection, let filter):
                        _ = try connection.delete(collection, filter: filter, session: session)
                    }
                }
                try BSON.withReply { reply in
                    guard mongoc_client_session_commit_transaction(session, reply, &error) else {
                        throw MongoError(error)
                    }
                }
            } catch {
                var abortError = bson_error_t()
                _ = mongoc_client_session_abort_transaction(session, &abortError)
                throw error
            }
        }
    }
}

extension Connection {
    /// Reads each match with `read` while the cursor still owns it.
    func find<T>(
        _ collection: String, filter: JSONValue, sort: MongoSort, limit: Int?, read: (OpaquePointer) -> T
    ) throws -> [T] {
        try self.collection(collection) { handle in
            try BSON.with(filter) { filter in
                let options = try BSON.make(
                    ordered: [("sort", BSON.order(sort))] + (limit.map { [("limit", JSONValue.int(Int64($0)))] } ?? []))
                defer { bson_destroy(options) }
                let cursor = mongoc_collection_find_with_opts(handle, filter, options, nil)!
                defer { mongoc_cursor_destroy(cursor) }
                var results: [T] = []
                var document: OpaquePointer?
                while mongoc_cursor_next(cursor, &document) {
                    if let document { results.append(read(document)) }
                }
                var error = bson_error_t()
                if mongoc_cursor_error(cursor, &error) { throw MongoError(error) }
                return results
            }
        }
    }

    /// Options for a write, bound to `session` when there is one.
    private func writeOptions(_ session: OpaquePointer?) throws -> OpaquePointer {
        let options = bson_new()!
        if let session {
            var error = bson_error_t()
            guard mongoc_client_session_append(session, options, &error) else {
                bson_destroy(options)
                throw MongoError(error)
            }
        }
        return options
    }

    func insert(_ document: JSONValue, into collection: String, session: OpaquePointer?) throws {
        try self.collection(collection) { handle in
            try BSON.with(document) { document in
                let options = try writeOptions(session)
                defer { bson_destroy(options) }
                var error = bson_error_t()
                guard mongoc_collection_insert_one(handle, document, options, nil, &error) else {
                    throw MongoError(error)
                }
            }
        }
    }

    func update(
        _ collection: String, filter: JSONValue, update: JSONValue, many: Bool, session: OpaquePointer?
    ) throws -> Int {
        try self.collection(collection) { handle in
            try BSON.with(filter) { filter in
                try BSON.with(update) { update in
                    let options = try writeOptions(session)
                    defer { bson_destroy(options) }
                    return try BSON.withReply { reply in
                        var error = bson_error_t()
                        let done =
                            many
                            ? mongoc_collection_update_many(handle, filter, update, options, reply, &error)
                            : mongoc_collection_update_one(handle, filter, update, options, reply, &error)
                        guard done else { throw MongoError(error) }
                        return Int(BSON.json(reply)["matchedCount"]?.intValue ?? 0)
                    }
                }
            }
        }
    }

    func delete(_ collection: String, filter: JSONValue, session: OpaquePointer?) throws -> Int {
        try self.collection(collection) { handle in
            try BSON.with(filter) { filter in
                let options = try writeOptions(session)
                defer { bson_destroy(options) }
                return try BSON.withReply { reply in
                    var error = bson_error_t()
                    guard mongoc_collection_delete_many(handle, filter, options, reply, &error) else {
                        throw MongoError(error)
                    }
                    return Int(BSON.json(reply)["deletedCount"]?.intValue ?? 0)
                }
            }
        }
    }
}
