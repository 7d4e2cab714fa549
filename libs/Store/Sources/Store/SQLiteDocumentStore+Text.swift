import Platform
import SQLite

/// Full-text search on SQLite: an FTS5 table per collection with text fields, its rows tied to
/// the documents through a small rowid table (documents live in a WITHOUT ROWID table), kept in
/// step by triggers, so every write path — inserts, updates, deletes, batches — indexes alike.
/// Relevance is FTS5's BM25 with the declared weights; the porter stemmer makes "classifiers"
/// find "classifier".
extension SQLiteDocumentStore {
    static func textTables(_ table: String) -> (fts: String, rows: String) {
        ("\(table)__text", "\(table)__textrows")
    }

    /// Creates the FTS table, its rowid map and triggers; a new index is filled from the
    /// documents already there. Inside `prepare`'s transaction.
    static func prepareText(_ collection: CollectionSpec, table: String, on connection: SQLiteConnection) throws {
        guard !collection.textFields.isEmpty else { return }
        let (fts, rows) = textTables(table)
        let paths = try collection.textFields.map { try FieldPath($0.path) }
        let columns = paths.indices.map { "f\($0)" }
        func values(_ row: String) -> String {
            paths.map {
                "coalesce((SELECT group_concat(value, ' ') FROM json_each(\(row).doc, '\($0.jsonPath)') WHERE type NOT IN ('object', 'array')), '')"
            }
            .joined(separator: ", ")
        }
        let existed = try !connection.query("SELECT 1 FROM sqlite_master WHERE name = ?", [.text(fts)]).isEmpty
        let insertRow =
            "INSERT INTO \(fts) (rowid, \(columns.joined(separator: ", "))) VALUES ((SELECT rid FROM \(rows) WHERE docid = new.id), \(values("new")))"
        let deleteRow = "DELETE FROM \(fts) WHERE rowid = (SELECT rid FROM \(rows) WHERE docid = old.id)"
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS \(rows) (rid INTEGER PRIMARY KEY, docid TEXT NOT NULL UNIQUE);
            CREATE VIRTUAL TABLE IF NOT EXISTS \(fts) USING fts5(\(columns.joined(separator: ", ")), tokenize = 'porter unicode61');
            CREATE TRIGGER IF NOT EXISTS \(fts)_insert AFTER INSERT ON \(table) BEGIN
                INSERT INTO \(rows) (docid) VALUES (new.id); \(insertRow); END;
            CREATE TRIGGER IF NOT EXISTS \(fts)_update AFTER UPDATE ON \(table) BEGIN
                \(deleteRow); \(insertRow); END;
            CREATE TRIGGER IF NOT EXISTS \(fts)_delete AFTER DELETE ON \(table) BEGIN
                \(deleteRow); DELETE FROM \(rows) WHERE docid = old.id; END;
            """)
        if !existed {
            try connection.execute(
                """
                INSERT OR IGNORE INTO \(rows) (docid) SELECT id FROM \(table);
                INSERT INTO \(fts) (rowid, \(columns.joined(separator: ", "))) SELECT r.rid, \(values("d")) FROM \(table) d JOIN \(rows) r ON r.docid = d.id;
                """)
        }
    }

    public func search(_ collection: String, _ search: TextSearch) async throws -> [ScoredDocument] {
        guard search.limit >= 0, search.offset >= 0 else {
            throw StoreError(.invalidFilter, "limit and offset are not negative", field: "limit")
        }
        let (from, matchBindings, fields) = try textSource(collection, text: search.text)
        guard let from else { return [] }
        var compiler = filterCompiler(for: collection)
        let condition = try compiler.compile(search.filter)
        let (fts, _) = Self.textTables(try Self.table(collection))
        let weights = fields.map { String($0.weight) }.joined(separator: ", ")
        let sql =
            "SELECT d.doc, bm25(\(fts), \(weights)) AS relevance FROM \(from) WHERE (\(condition)) ORDER BY relevance, d.id LIMIT ? OFFSET ?"
        let bindings =
            matchBindings + compiler.bindings + [.integer(Int64(search.limit)), .integer(Int64(search.offset))]
        let rows = try await readers.read { try $0.query(sql, bindings) }
        // BM25 here is lower-is-better (negative); the protocol's score is higher-is-better.
        return try rows.map { ScoredDocument(document: try Self.decode($0[0]), score: -($0[1].real ?? 0)) }
    }

    public func facets(
        _ collection: String, text: String?, filter: JSONValue, fields: [String], limit: Int
    ) async throws -> [String: [FacetCount]] {
        let table = try Self.table(collection)
        var from = "\(table) d"
        var matchBindings: [SQLiteValue] = []
        if let text {
            let source = try textSource(collection, text: text)
            guard let matched = source.from else { return Dictionary(uniqueKeysWithValues: fields.map { ($0, []) }) }
            (from, matchBindings) = (matched, source.bindings)
        }
        var compiler = filterCompiler(for: collection)
        let condition = try compiler.compile(filter)
        guard !fields.isEmpty else { return [:] }
        // One statement: the matches are found once (a materialized CTE keeping only each
        // field's value, as JSON so arrays and scalars alike can be walked), then each field is
        // grouped over them, most common values first.
        let paths = try fields.map { try FieldPath($0).jsonPath }
        let columns = paths.enumerated().map { "json_quote(json_extract(d.doc, '\($1)')) AS c\($0)" }.joined(
            separator: ", ")
        let groups = paths.indices.map { index in
            """
            SELECT * FROM (SELECT \(index) AS f, j.type AS t, j.value AS v, count(DISTINCT m.mid) AS n FROM m, json_each(m.c\(index)) j
            WHERE j.type NOT IN ('null', 'object', 'array') GROUP BY j.type, j.value ORDER BY n DESC, j.value LIMIT \(max(0, limit)))
            """
        }
        let sql =
            "WITH m AS MATERIALIZED (SELECT d.id AS mid, \(columns) FROM \(from) WHERE (\(condition))) "
            + groups.joined(separator: " UNION ALL ") + " ORDER BY f, n DESC, v"
        let bindings = matchBindings + compiler.bindings
        let rows = try await readers.read { try $0.query(sql, bindings) }
        var answer = Dictionary(uniqueKeysWithValues: fields.map { ($0, [FacetCount]()) })
        for row in rows {
            let field = fields[Int(row[0].integer ?? 0)]
            answer[field, default: []].append(
                FacetCount(value: Self.jsonValue(type: row[1].text ?? "", row[2]), count: Int(row[3].integer ?? 0)))
        }
        return answer
    }

    /// The FROM clause joining the FTS match to the documents (nil when `text` has no words),
    /// its MATCH binding, and the collection's text fields.
    private func textSource(
        _ collection: String, text: String
    ) throws -> (from: String?, bindings: [SQLiteValue], fields: [TextField]) {
        guard let fields = textIndexes.withLock({ $0[collection] }) else {
            throw StoreError(
                .invalidField, "the collection \(collection) declares no text fields to search", field: "text")
        }
        let words = TextSearch.words(text)
        guard !words.isEmpty else { return (nil, [], fields) }
        let (fts, rows) = Self.textTables(try Self.table(collection))
        let from =
            "\(fts) JOIN \(rows) r ON r.rid = \(fts).rowid JOIN \(try Self.table(collection)) d ON d.id = r.docid AND \(fts) MATCH ?"
        return (from, [.text(words.map { "\"\($0)\"" }.joined(separator: " OR "))], fields)
    }

    /// A value `json_each` gave back, typed as in the document.
    private static func jsonValue(type: String, _ value: SQLiteValue) -> JSONValue {
        switch type {
        case "integer": .int(value.integer ?? 0)
        case "real": .double(value.real ?? 0)
        case "true": .bool(true)
        case "false": .bool(false)
        default: .string(value.text ?? "")
        }
    }
}
