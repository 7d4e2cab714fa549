import Platform
import SQLite

/// Compiles a `Filter` to an SQLite `WHERE` clause over `json_extract(doc, path)`,
/// with every value bound as a parameter (nothing from a client is spliced into SQL).
/// Filters on a collection's dynamic keys (`params.lr`) go to its key/value table instead.
struct SQLFilterCompiler {
    private(set) var bindings: [SQLiteValue] = []
    let dynamicKeys: DynamicKeyIndex?
    /// Set when each row's id is already known (a key-order walk's candidate): a key/value
    /// condition is then a probe of the key/value table's primary key for that one id,
    /// instead of the set of every matching id (see `keyValueComparison`).
    let probedID: String?
    /// Whether the clause reads the document (`doc`) rather than only ids and the key/value
    /// table: a clause that does not can be checked without reading a single document.
    private(set) var readsDocument = false

    /// The documents' id column, qualified, when the clause filters a plain select of them:
    /// then a range on a dynamic key beside equalities is probed per document (see `.and`).
    let documentID: String?

    init(dynamicKeys: DynamicKeyIndex? = nil, probing probedID: String? = nil, documentID: String? = nil) {
        self.dynamicKeys = dynamicKeys
        self.probedID = probedID
        self.documentID = documentID
    }

    mutating func compile(_ filter: JSONValue) throws -> String {
        compile(try Filter(parsing: filter))
    }

    mutating func compile(_ filter: Filter) -> String {
        switch filter {
        case .all:
            return "1"
        case .and(let parts):
            // Several indexed key/value conditions meet in the key/value table first, so only
            // runs matching all of them are read (the planner drives from one IN list at most).
            let keyed = parts.filter { positiveKeyValueCondition($0) }
            guard keyed.count > 1, probedID == nil, let dynamicKeys else {
                return "(" + parts.map { compile($0) }.joined(separator: " AND ") + ")"
            }
            // Equalities name few ids; a range (metrics.acc > 0.5) may name half the collection.
            // Beside an equality, a range is checked by probing the key/value table for each
            // document the equalities admit, not read whole into the intersection (a rare
            // three-condition search read 50k range ids at 100k runs).
            let probed =
                documentID.map { id in
                    keyed.contains(where: isEquality) ? keyed.filter { !isEquality($0) }.map { ($0, id) } : []
                } ?? []
            let intersected = keyed.filter { probed.isEmpty || isEquality($0) }
            var terms = [
                "id IN (" + intersected.map { keyValueSubquery(dynamicKeys, $0) }.joined(separator: " INTERSECT ")
                    + ")"
            ]
            terms += probed.map { keyValueProbe(dynamicKeys, $0.0, id: $0.1) }
            terms += parts.filter { !positiveKeyValueCondition($0) }.map { compile($0) }
            return "(" + terms.joined(separator: " AND ") + ")"
        case .or(let parts):
            return "(" + parts.map { compile($0) }.joined(separator: " OR ") + ")"
        case .not(let inner):
            // A comparison with a missing field is NULL in SQL; MongoDB's $not counts it a match.
            return "NOT coalesce(" + compile(inner) + ", 0)"
        case .compare(let path, let comparison):
            return self.comparison(path, comparison)
        }
    }

    private mutating func comparison(_ path: FieldPath, _ comparison: Filter.Comparison) -> String {
        if let dynamicKeys, dynamicKeys.covers(path), let indexed = keyValueComparison(dynamicKeys, path, comparison) {
            return indexed
        }
        let column: String
        if path.dotted == "id" {
            column = probedID ?? "id"
        } else {
            column = Self.extract(path)
            readsDocument = true
        }
        switch comparison {
        case .eq(let operand):
            if operand == .null { return "\(column) IS NULL" }
            return "\(column) = \(bind(operand))"
        case .ne(let operand):
            if operand == .null { return "\(column) IS NOT NULL" }
            return "(\(column) IS NULL OR \(column) != \(bind(operand)))"
        case .range(let op, let operand):
            return range(column, op, operand)
        case .in(let values):
            if values.isEmpty { return "0" }
            return "\(column) IN (\(values.map { bind($0) }.joined(separator: ", ")))"
        case .nin(let values):
            if values.isEmpty { return "1" }
            return "(\(column) IS NULL OR \(column) NOT IN (\(values.map { bind($0) }.joined(separator: ", "))))"
        case .exists(let exists):
            readsDocument = true
            return "json_type(doc, '\(path.jsonPath)') IS \(exists ? "NOT " : "")NULL"
        case .containsAll(let values):
            // json_each walks an array's elements, or yields a scalar itself.
            let distinct = Array(Set(values))
            readsDocument = true
            return
                "(SELECT count(DISTINCT value) FROM json_each(doc, '\(path.jsonPath)') WHERE value IN (\(distinct.map { bind($0) }.joined(separator: ", ")))) = \(distinct.count)"
        }
    }

    /// A positive comparison (equality, range, `$in` of non-null scalars) against a plain column,
    /// as the key/value table's `value` column answers it; nil for any other comparison.
    mutating func positiveComparison(_ comparison: Filter.Comparison, column: String) -> String? {
        switch comparison {
        case .eq(let operand) where operand != .null: return "\(column) = \(bind(operand))"
        case .range(let op, let operand) where operand != .null: return range(column, op, operand)
        case .in(let values) where !values.isEmpty && !values.contains(.null):
            return "\(column) IN (\(values.map { bind($0) }.joined(separator: ", ")))"
        default: return nil
        }
    }

    /// Binds `value` and returns its placeholder (for SQL its callers write themselves).
    mutating func placeholder(_ value: JSONValue) -> String {
        bind(value)
    }

    /// Whether `filter` is an equality, range or `$in` on a dynamic key: answered by a subquery
    /// of `k_<collection>` ids, which `.and` intersects.
    private func positiveKeyValueCondition(_ filter: Filter) -> Bool {
        guard let dynamicKeys, case .compare(let path, let comparison) = filter, dynamicKeys.covers(path) else {
            return false
        }
        switch comparison {
        case .eq(let operand), .range(_, let operand): return operand != .null
        case .in(let values): return !values.isEmpty && !values.contains(.null)
        default: return false
        }
    }

    /// An equality or `$in` (as opposed to a range) among `positiveKeyValueCondition`s.
    private func isEquality(_ filter: Filter) -> Bool {
        switch filter {
        case .compare(_, .eq), .compare(_, .in): true
        default: false
        }
    }

    /// A `positiveKeyValueCondition` checked for the document whose id is `id`.
    private mutating func keyValueProbe(_ index: DynamicKeyIndex, _ filter: Filter, id: String) -> String {
        "EXISTS (SELECT 1 FROM \(index.table) AS probe WHERE \(keyValueCondition(filter, in: "probe.")) AND probe.id = \(id))"
    }

    /// The id subquery of a `positiveKeyValueCondition`.
    private mutating func keyValueSubquery(_ index: DynamicKeyIndex, _ filter: Filter) -> String {
        "SELECT id FROM \(index.table) WHERE \(keyValueCondition(filter, in: ""))"
    }

    /// A `positiveKeyValueCondition` on the key/value table's columns (`table` their qualifier).
    private mutating func keyValueCondition(_ filter: Filter, in table: String) -> String {
        guard case .compare(let path, let comparison) = filter else {
            preconditionFailure("a key/value condition is a comparison")
        }
        bindings.append(.text(path.dotted))
        let key = "\(table)key = ? AND "
        let value = "\(table)value"
        switch comparison {
        case .eq(let operand): return key + "\(value) = \(bind(operand))"
        case .range(let op, let operand): return key + range(value, op, operand)
        case .in(let values): return key + "\(value) IN (\(values.map { bind($0) }.joined(separator: ", ")))"
        default: preconditionFailure("not a positive key/value condition")
        }
    }

    /// The same comparison against `k_<collection>`: an index range on (key, value). `nil`
    /// when the table cannot answer it (nulls and `$exists` concern values it does not hold).
    private mutating func keyValueComparison(
        _ index: DynamicKeyIndex, _ path: FieldPath, _ comparison: Filter.Comparison
    ) -> String? {
        // Probing one known id reads a few index entries; the id set would read every match.
        let probedID = self.probedID
        func matching(_ condition: String, _ including: Bool) -> String {
            guard let probedID else {
                return "id \(including ? "" : "NOT ")IN (SELECT id FROM \(index.table) WHERE key = ? AND \(condition))"
            }
            return
                "\(including ? "" : "NOT ")EXISTS (SELECT 1 FROM \(index.table) AS probe WHERE probe.key = ? AND \(condition) AND probe.id = \(probedID))"
        }
        switch comparison {
        case .eq(let operand), .ne(let operand):
            if operand == .null { return nil }
            bindings.append(.text(path.dotted))
            if case .eq = comparison { return matching("value = \(bind(operand))", true) }
            return matching("value = \(bind(operand))", false)
        case .range(let op, let operand):
            if operand == .null { return nil }
            bindings.append(.text(path.dotted))
            return matching(range("value", op, operand), true)
        case .in(let values), .nin(let values):
            if values.contains(.null) { return nil }
            let including: Bool
            if case .in = comparison { including = true } else { including = false }
            if values.isEmpty { return including ? "0" : "1" }
            bindings.append(.text(path.dotted))
            return matching("value IN (\(values.map { bind($0) }.joined(separator: ", ")))", including)
        case .exists, .containsAll:
            return nil
        }
    }

    /// An ordering comparison that, like MongoDB's, matches only values of the operand's kind:
    /// SQLite orders every number before every string, so a number's range stops below `''`
    /// and a string's starts there. Both bounds keep the comparison an index range.
    private mutating func range(_ column: String, _ op: String, _ operand: JSONValue) -> String {
        let symbol = ["$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="][op]!
        let comparison = "\(column) \(symbol) \(bind(operand))"
        switch (operand, op) {
        case (.int, "$gt"), (.int, "$gte"), (.double, "$gt"), (.double, "$gte"):
            return "(\(comparison) AND \(column) < '')"
        case (.string, "$lt"), (.string, "$lte"):
            return "(\(comparison) AND \(column) >= '')"
        default:
            return comparison
        }
    }

    /// Binds a scalar (`Filter` admits no others).
    private mutating func bind(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): bindings.append(.text(text))
        case .int(let number): bindings.append(.integer(number))
        case .double(let number): bindings.append(.real(number))
        case .bool(let flag): bindings.append(.integer(flag ? 1 : 0))
        case .null, .array, .object: bindings.append(.null)
        }
        return "?"
    }

    /// The expression an index over `path` is declared on, so the planner can use it. A
    /// document's `id` is also its row's primary key: filters and sorts on it use that.
    static func extract(_ path: FieldPath) -> String {
        path.dotted == "id" ? "id" : "json_extract(doc, '\(path.jsonPath)')"
    }
}
