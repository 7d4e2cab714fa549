import Foundation
import Platform
import SQLite
import Synchronization

/// The embedded store: one SQLite file per service, one table per collection holding each
/// document as JSON text, declared indexes as indexes on `json_extract` expressions.
public final class SQLiteDocumentStore: DocumentStore {
    let database: SQLiteDatabase
    let maxDocumentBytes: Int
    /// What `prepare` declared for each collection; filters consult it.
    let dynamicKeys = Mutex<[String: DynamicKeyIndex]>([:])
    /// Keeps the query planner's statistics (ANALYZE) in step with each collection's size.
    private let statistics = PlannerStatistics()
    /// The fields of each declared index, per collection (for `findInIndexOrder`).
    let declaredIndexes = Mutex<[String: [[FieldPath]]]>([:])
    /// The text fields `prepare` declared for each collection that has them (for `search`).
    let textIndexes = Mutex<[String: [TextField]]>([:])

    /// Read-only connections for every read outside a write: finds, gets, counts, text
    /// searches and facets run beside writes and beside each other (WAL readers see the last
    /// commit, so a read after an acknowledged write sees it).
    let readers: ReaderPool

    /// `readers` bounds the read connections opened (each lazily, at the first read needing it).
    public init(path: String, maxDocumentBytes: Int = 16 << 20, readers: Int = 4) throws {
        self.database = try SQLiteDatabase(path: path)
        self.maxDocumentBytes = maxDocumentBytes
        self.readers = ReaderPool(path: path, capacity: readers)
    }

    public func prepare(_ collection: CollectionSpec) async throws {
        let table = try Self.table(collection.name)
        var statements = ["CREATE TABLE IF NOT EXISTS \(table) (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID"]
        for index in collection.indexes {
            let paths = try index.fields.map { try FieldPath($0) }
            let name = "\(table)__" + paths.map { $0.components.joined(separator: "_") }.joined(separator: "__")
            let expressions = paths.map(SQLFilterCompiler.extract).joined(separator: ", ")
            statements.append(
                "CREATE \(index.unique ? "UNIQUE " : "")INDEX IF NOT EXISTS \(name) ON \(table) (\(expressions))")
        }
        let roots = try collection.dynamicKeys.map { root in
            guard try FieldPath(root).components.count == 1 else {
                throw StoreError(.invalidField, "a dynamic key root is one field name", field: root)
            }
            return root
        }
        let index = DynamicKeyIndex(
            collection: collection.name, roots: roots, scalarValues: collection.scalarDynamicKeys)
        let all = statements
        try await database.transaction { connection in
            for statement in all { try connection.execute(statement) }
            try Self.prepareDynamicKeys(index, on: connection)
            try Self.prepareText(collection, table: table, on: connection)
        }
        dynamicKeys.withLock { $0[collection.name] = roots.isEmpty ? nil : index }
        let indexed = try collection.indexes.map { try $0.fields.map(FieldPath.init) }
        declaredIndexes.withLock { $0[collection.name] = indexed }
        textIndexes.withLock { $0[collection.name] = collection.textFields.isEmpty ? nil : collection.textFields }
        guard collection.plannerStatistics else {
            // Any gathered before the collection opted out would go on misleading the planner.
            try await database.run { connection in
                if try !connection.query("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").isEmpty,
                    try connection.prepare("DELETE FROM sqlite_stat1 WHERE tbl = ?").run([.text(table)]) > 0
                {
                    try connection.execute("ANALYZE sqlite_schema")  // reloads the planner's view of the statistics
                }
            }
            readers.statisticsChanged()
            return
        }
        // Statistics survive restarts in sqlite_stat1: only a table that never had any is
        // counted (a scan) to see whether it needs them now.
        let counted = try await database.run { connection -> (analyzed: Int?, rows: Int) in
            if let analyzed = try Self.rowsAtLastAnalysis(table, on: connection) { return (analyzed, 0) }
            return (nil, Int(try connection.query("SELECT count(*) FROM \(table)").first?[0].integer ?? 0))
        }
        statistics.prepared(collection.name, rowsAtLastAnalysis: counted.analyzed, rows: counted.rows)
        try await analyzeWhereDue()
    }

    /// The row count `ANALYZE` recorded for `table` (the first number of its sqlite_stat1
    /// entries), or nil when it was never analysed.
    private static func rowsAtLastAnalysis(_ table: String, on connection: SQLiteConnection) throws -> Int? {
        guard try !connection.query("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").isEmpty else {
            return nil
        }
        let stat = try connection.query("SELECT stat FROM sqlite_stat1 WHERE tbl = ? LIMIT 1", [.text(table)]).first?[0]
            .text
        return stat?.split(separator: " ").first.flatMap { Int($0) }
    }

    /// Gathers statistics for collections that doubled since they were last gathered, so
    /// the planner knows, say, that every run shares one projectId and drives a search from
    /// its selective conditions instead (bounded by `analysis_limit`: milliseconds, not a scan).
    private func analyzeWhereDue() async throws {
        let due = statistics.due()
        guard !due.isEmpty else { return }
        let tables = due.flatMap { collection in
            ["c_\(collection)"] + (dynamicKeys.withLock { $0[collection] }.map { [$0.table] } ?? [])
        }
        try await database.run { connection in
            try connection.execute("PRAGMA analysis_limit = 1000")
            for table in tables { try connection.execute("ANALYZE \(table)") }
        }
        readers.statisticsChanged()
    }

    /// Rebuilds `k_<collection>` only when the declared roots changed since the last start,
    /// remembered in `mlex_dynamic_keys`, so a restart costs nothing and a new root backfills.
    private static func prepareDynamicKeys(_ index: DynamicKeyIndex, on connection: SQLiteConnection) throws {
        try connection.execute(
            "CREATE TABLE IF NOT EXISTS mlex_dynamic_keys (collection TEXT PRIMARY KEY, roots TEXT NOT NULL)")
        let declared = index.roots.joined(separator: ",")
        let previous = try connection.query(
            "SELECT roots FROM mlex_dynamic_keys WHERE collection = ?", [.text(index.collection)]
        ).first?[0].text
        guard previous != declared, !(previous == nil && declared.isEmpty) else { return }
        for statement in index.rebuildStatements() { try connection.execute(statement) }
        try connection.prepare("INSERT OR REPLACE INTO mlex_dynamic_keys (collection, roots) VALUES (?, ?)").run([
            .text(index.collection), .text(declared),
        ])
    }

    func filterCompiler(for collection: String) -> SQLFilterCompiler {
        SQLFilterCompiler(dynamicKeys: dynamicKeys.withLock { $0[collection] })
    }

    public func insert(_ document: JSONValue, into collection: String) async throws {
        try await batch([.insert(document, into: collection)])
    }

    public func get(_ id: String, from collection: String) async throws -> JSONValue? {
        let table = try Self.table(collection)
        let rows = try await readers.read { try $0.query("SELECT doc FROM \(table) WHERE id = ?", [.text(id)]) }
        return try rows.first.map { try Self.decode($0[0]) }
    }

    public func find(_ collection: String, _ query: Query) async throws -> [JSONValue] {
        if let page = try await findInKeyOrder(collection, query) { return page }
        if let page = try await findInIndexOrder(collection, query) { return page }
        let (sql, bindings) = try select(
            collection, filter: query.filter, sort: query.sort, limit: query.limit, after: query.after)
        // Parsed on the reader's thread, so that a page of large documents does not occupy the
        // cooperative pool (one thread per core) every other request of the service needs.
        return try await readers.read { try $0.query(sql, bindings).map { try Self.decode($0[0]) } }
    }

    public func count(_ collection: String, filter: JSONValue) async throws -> Int {
        let table = try Self.table(collection)
        var compiler = filterCompiler(for: collection)
        let condition = try compiler.compile(filter)
        let bindings = compiler.bindings
        let rows = try await readers.read { try $0.query("SELECT count(*) FROM \(table) WHERE \(condition)", bindings) }
        return Int(rows[0][0].integer ?? 0)
    }

    public func update(_ collection: String, filter: JSONValue, update: JSONValue, many: Bool) async throws -> Int {
        try await write { try self.apply(.update(collection, filter: filter, update: update, many: many), on: $0) }
    }

    public func findOneAndUpdate(
        _ collection: String, filter: JSONValue, sort: [SortKey], update: JSONValue
    ) async throws -> JSONValue? {
        let (sql, bindings) = try select(collection, filter: filter, sort: sort, limit: 1, after: nil)
        let table = try Self.table(collection)
        return try await write { connection in
            guard let row = try connection.query(sql, bindings).first else { return nil }
            let updated = try UpdateApplier.apply(update, to: try Self.decode(row[0]))
            let (id, text) = try self.encode(updated)
            try connection.prepare("UPDATE \(table) SET doc = ? WHERE id = ?").run([.text(text), .text(id)])
            return updated
        }
    }

    public func delete(_ collection: String, filter: JSONValue) async throws -> Int {
        try await write { try self.apply(.delete(collection, filter: filter), on: $0) }
    }

    public func batch(_ operations: [WriteOperation]) async throws {
        guard !operations.isEmpty else { return }
        _ = try await write { connection in
            for operation in operations { _ = try self.apply(operation, on: connection) }
        }
    }

    /// One write on the connection, inside the caller's transaction; returns rows changed.
    private func apply(_ operation: WriteOperation, on connection: SQLiteConnection) throws -> Int {
        switch operation {
        case .insert(let document, let collection):
            statistics.inserted(into: collection)
            let (id, text) = try encode(document)
            return try connection.prepare("INSERT INTO \(try Self.table(collection)) (id, doc) VALUES (?, ?)").run([
                .text(id), .text(text),
            ])
        case .update(let collection, let filter, let update, let many):
            let table = try Self.table(collection)
            let (sql, bindings) = try select(collection, filter: filter, sort: [], limit: many ? nil : 1, after: nil)
            let rows = try connection.query(sql, bindings)
            let replace = try connection.prepare("UPDATE \(table) SET doc = ? WHERE id = ?")
            for row in rows {
                let (id, text) = try encode(try UpdateApplier.apply(update, to: try Self.decode(row[0])))
                try replace.run([.text(text), .text(id)])
            }
            return rows.count
        case .updateOrConflict(let collection, let filter, let update):
            let changed = try apply(.update(collection, filter: filter, update: update, many: false), on: connection)
            guard changed == 1 else { throw StoreError.unmatched(collection) }
            return changed
        case .delete(let collection, let filter):
            var compiler = filterCompiler(for: collection)
            let condition = try compiler.compile(filter)
            return try connection.prepare("DELETE FROM \(try Self.table(collection)) WHERE \(condition)").run(
                compiler.bindings)
        }
    }

    public func checkReachable() async throws {
        try await database.run { try $0.query("SELECT 1") }
    }

    /// The query plan SQLite chose, for tests that an index serves a filter.
    public func explain(_ collection: String, _ query: Query) async throws -> String {
        let (sql, bindings) = try select(
            collection, filter: query.filter, sort: query.sort, limit: query.limit, after: query.after)
        let rows = try await database.run { try $0.query("EXPLAIN QUERY PLAN " + sql, bindings) }
        return rows.compactMap { $0.last?.text }.joined(separator: "\n")
    }

    // MARK: - SQL

    private func select(
        _ collection: String, filter: JSONValue, sort: [SortKey], limit: Int?, after: JSONValue?
    ) throws -> (String, [SQLiteValue]) {
        let table = try Self.table(collection)
        var compiler = SQLFilterCompiler(
            dynamicKeys: dynamicKeys.withLock { $0[collection] }, documentID: "\(table).id")
        let keys = try sort.map { (try FieldPath($0.path), $0.descending) }
        let paged =
            try after.map { ["$and": [filter, try Keyset.filter(sort: sort, after: $0)]] as JSONValue } ?? filter
        let condition = try compiler.compile(paged)
        let bindings = compiler.bindings
        var order = keys.map { "\(SQLFilterCompiler.extract($0.0)) \($0.1 ? "DESC" : "ASC")" }
        order.append("id \((keys.first?.1 ?? false) ? "DESC" : "ASC")")
        var sql = "SELECT doc FROM \(table) WHERE \(condition) ORDER BY \(order.joined(separator: ", "))"
        if let limit {
            guard limit >= 0 else { throw StoreError(.invalidFilter, "limit must not be negative", field: "limit") }
            sql += " LIMIT \(limit)"
        }
        return (sql, bindings)
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let result: T
        do {
            result = try await database.transaction(body)
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw StoreError(.duplicate, "a document with the same id or unique key exists: \(error.message)")
        }
        try await analyzeWhereDue()
        return result
    }

    private func encode(_ document: JSONValue) throws -> (String, String) {
        guard case .object = document, case .string(let id)? = document["id"], !id.isEmpty else {
            throw StoreError(.invalidDocument, "a document is a JSON object with a string id", field: "id")
        }
        let text = document.jsonText
        guard text.utf8.count <= maxDocumentBytes else {
            throw StoreError(.tooLarge, "document \(id) is \(text.utf8.count) bytes; the limit is \(maxDocumentBytes)")
        }
        return (id, text)
    }

    static func decode(_ value: SQLiteValue) throws -> JSONValue {
        guard case .text(let text) = value else { throw StoreError(.unavailable, "a stored document is not text") }
        return try JSONValue.parse(text)
    }

    /// Collection names become table names: checked, then prefixed.
    static func table(_ collection: String) throws -> String {
        "c_" + (try CollectionName.check(collection))
    }
}
