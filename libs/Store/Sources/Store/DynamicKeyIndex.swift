import SQLite

/// The SQLite side of `CollectionSpec.dynamicKeys`: a key/value table `k_<collection>` holding
/// one row per scalar child of each dynamic root (`params.lr = 0.01`, `metrics.acc = 0.93`),
/// kept by triggers so every write path maintains it inside its own transaction. A filter on
/// `params.<name>` then becomes an index range on (key, value) instead of a scan of documents.
///
/// One untyped `value` column keeps SQLite's storage classes, which order as
/// NULL < numbers < text: numbers and strings never meet inside one range (see `SQLFilterCompiler`).
struct DynamicKeyIndex: Sendable, Hashable {
    let collection: String
    let roots: [String]
    /// `CollectionSpec.scalarDynamicKeys`: every document with a key has a row for it.
    var scalarValues = false

    var documents: String { "c_\(collection)" }
    var table: String { "k_\(collection)" }

    /// True when `path` is `<root>.<name>` for a declared root: the paths this index answers.
    func covers(_ path: FieldPath) -> Bool {
        path.components.count == 2 && roots.contains(path.components[0])
    }

    /// Drops any previous version, creates the table, its triggers, and fills it from the
    /// documents already stored (run inside one transaction by `prepare`).
    func rebuildStatements() -> [String] {
        var statements = Self.dropStatements(collection: collection)
        guard !roots.isEmpty else { return statements }
        statements += [
            "CREATE TABLE \(table) (key TEXT NOT NULL, value NOT NULL, id TEXT NOT NULL, PRIMARY KEY (key, value, id)) WITHOUT ROWID",
            "CREATE INDEX \(table)__id ON \(table) (id)",
            """
            CREATE TRIGGER \(table)__insert AFTER INSERT ON \(documents) BEGIN
            \(insertRows(document: "NEW.doc", id: "NEW.id"))
            END
            """,
            // Only when a dynamic root changed: a status update leaves the key rows alone.
            """
            CREATE TRIGGER \(table)__update AFTER UPDATE OF doc ON \(documents)
            WHEN \(roots.map { "json_extract(OLD.doc, '\(Self.rootPath($0))') IS NOT json_extract(NEW.doc, '\(Self.rootPath($0))')" }.joined(separator: " OR "))
            BEGIN
            DELETE FROM \(table) WHERE id = OLD.id;
            \(insertRows(document: "NEW.doc", id: "NEW.id"))
            END
            """,
            "CREATE TRIGGER \(table)__delete AFTER DELETE ON \(documents) BEGIN DELETE FROM \(table) WHERE id = OLD.id; END",
        ]
        for root in roots {
            statements.append(
                "INSERT INTO \(table) (key, value, id) SELECT \(rowValues(root: root, id: "d.id")) FROM \(documents) AS d, json_each(d.doc, '\(Self.rootPath(root))') AS e WHERE \(rowCondition)"
            )
        }
        return statements
    }

    static func dropStatements(collection: String) -> [String] {
        let table = "k_\(collection)"
        return [
            "DROP TRIGGER IF EXISTS \(table)__insert",
            "DROP TRIGGER IF EXISTS \(table)__update",
            "DROP TRIGGER IF EXISTS \(table)__delete",
            "DROP TABLE IF EXISTS \(table)",
        ]
    }

    private func insertRows(document: String, id: String) -> String {
        roots.map { root in
            "INSERT INTO \(table) (key, value, id) SELECT \(rowValues(root: root, id: id)) FROM json_each(\(document), '\(Self.rootPath(root))') AS e WHERE \(rowCondition);"
        }.joined(separator: "\n")
    }

    private func rowValues(root: String, id: String) -> String {
        "'\(root).' || e.key, e.atom, \(id)"
    }

    /// Scalars under an object root only: arrays, nested objects and nulls are not indexed
    /// (those filters fall back to the document expression).
    private var rowCondition: String {
        "typeof(e.key) = 'text' AND e.type NOT IN ('object', 'array', 'null')"
    }

    private static func rootPath(_ root: String) -> String {
        "$.\"\(root)\""
    }
}
