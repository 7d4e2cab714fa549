import Platform
import SQLite

/// Compiles a MongoDB-style filter to an SQLite `WHERE` clause over `json_extract(doc, path)`,
/// with every value bound as a parameter (nothing from a client is spliced into SQL).
/// Filters on a collection's dynamic keys (`params.lr`) go to its key/value table instead.
struct SQLFilterCompiler {
    private(set) var bindings: [SQLiteValue] = []
    let dynamicKeys: DynamicKeyIndex?

    init(dynamicKeys: DynamicKeyIndex? = nil) {
        self.dynamicKeys = dynamicKeys
    }

    mutating func compile(_ filter: JSONValue) throws -> String {
        guard case .object(let members) = filter else {
            throw StoreError(.invalidFilter, "a filter is a JSON object")
        }
        if members.isEmpty { return "1" }
        let clauses = try members.sorted { $0.key < $1.key }.map { key, value in
            try clause(key: key, value: value)
        }
        return clauses.count == 1 ? clauses[0] : "(" + clauses.joined(separator: " AND ") + ")"
    }

    private mutating func clause(key: String, value: JSONValue) throws -> String {
        switch key {
        case "$and", "$or":
            guard case .array(let parts) = value, !parts.isEmpty else {
                throw StoreError(.invalidFilter, "\(key) takes a non-empty array of filters", field: key)
            }
            let compiled = try parts.map { try compile($0) }
            return "(" + compiled.joined(separator: key == "$and" ? " AND " : " OR ") + ")"
        case "$not":
            // A comparison with a missing field is NULL in SQL; MongoDB's $not counts it a match.
            return "NOT coalesce(" + (try compile(value)) + ", 0)"
        default:
            if key.hasPrefix("$") { throw StoreError(.invalidFilter, "unknown operator \(key)", field: key) }
            let path = try FieldPath(key)
            if case .object(let operators) = value, let first = operators.keys.first, first.hasPrefix("$") {
                let parts = try operators.sorted { $0.key < $1.key }.map { op, operand in
                    try comparison(path, op, operand)
                }
                return parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " AND ") + ")"
            }
            return try comparison(path, "$eq", value)
        }
    }

    private mutating func comparison(_ path: FieldPath, _ op: String, _ operand: JSONValue) throws -> String {
        if let dynamicKeys, dynamicKeys.covers(path), let indexed = try keyValueComparison(dynamicKeys, path, op, operand) {
            return indexed
        }
        let column = Self.extract(path)
        switch op {
        case "$eq":
            if operand == .null { return "\(column) IS NULL" }
            return "\(column) = \(try bind(operand, path))"
        case "$ne":
            if operand == .null { return "\(column) IS NOT NULL" }
            return "(\(column) IS NULL OR \(column) != \(try bind(operand, path)))"
        case "$gt", "$gte", "$lt", "$lte":
            return try range(column, op, operand, path)
        case "$in", "$nin":
            guard case .array(let values) = operand else {
                throw StoreError(.invalidFilter, "\(op) takes an array", field: path.dotted)
            }
            if values.isEmpty { return op == "$in" ? "0" : "1" }
            let list = try values.map { try bind($0, path) }.joined(separator: ", ")
            return op == "$in" ? "\(column) IN (\(list))" : "(\(column) IS NULL OR \(column) NOT IN (\(list)))"
        case "$exists":
            guard case .bool(let exists) = operand else {
                throw StoreError(.invalidFilter, "$exists takes true or false", field: path.dotted)
            }
            return "json_type(doc, '\(path.jsonPath)') IS \(exists ? "NOT " : "")NULL"
        default:
            throw StoreError(.invalidFilter, "unknown operator \(op)", field: path.dotted)
        }
    }

    /// The same comparison against `k_<collection>`: an index range on (key, value). `nil`
    /// when the table cannot answer it (nulls and `$exists` concern values it does not hold).
    private mutating func keyValueComparison(_ index: DynamicKeyIndex, _ path: FieldPath, _ op: String, _ operand: JSONValue) throws -> String? {
        if operand == .null || op == "$exists" { return nil }
        func matching(_ condition: String) -> String {
            "SELECT id FROM \(index.table) WHERE key = ? AND \(condition)"
        }
        switch op {
        case "$eq", "$ne":
            bindings.append(.text(path.dotted))
            let sql = matching("value = \(try bind(operand, path))")
            return op == "$eq" ? "id IN (\(sql))" : "id NOT IN (\(sql))"
        case "$gt", "$gte", "$lt", "$lte":
            bindings.append(.text(path.dotted))
            return "id IN (\(matching(try range("value", op, operand, path))))"
        case "$in", "$nin":
            guard case .array(let values) = operand else {
                throw StoreError(.invalidFilter, "\(op) takes an array", field: path.dotted)
            }
            if values.isEmpty { return op == "$in" ? "0" : "1" }
            bindings.append(.text(path.dotted))
            let sql = matching("value IN (\(try values.map { try bind($0, path) }.joined(separator: ", ")))")
            return op == "$in" ? "id IN (\(sql))" : "id NOT IN (\(sql))"
        default:
            return nil
        }
    }

    /// An ordering comparison that, like MongoDB's, matches only values of the operand's kind:
    /// SQLite orders every number before every string, so a number's range stops below `''`
    /// and a string's starts there. Both bounds keep the comparison an index range.
    private mutating func range(_ column: String, _ op: String, _ operand: JSONValue, _ path: FieldPath) throws -> String {
        let symbol = ["$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="][op]!
        let comparison = "\(column) \(symbol) \(try bind(operand, path))"
        switch (operand, op) {
        case (.int, "$gt"), (.int, "$gte"), (.double, "$gt"), (.double, "$gte"):
            return "(\(comparison) AND \(column) < '')"
        case (.string, "$lt"), (.string, "$lte"):
            return "(\(comparison) AND \(column) >= '')"
        default:
            return comparison
        }
    }

    private mutating func bind(_ value: JSONValue, _ path: FieldPath) throws -> String {
        switch value {
        case .string(let text): bindings.append(.text(text))
        case .int(let number): bindings.append(.integer(number))
        case .double(let number): bindings.append(.real(number))
        case .bool(let flag): bindings.append(.integer(flag ? 1 : 0))
        case .null: bindings.append(.null)
        case .array, .object:
            throw StoreError(.invalidFilter, "only scalars can be compared", field: path.dotted)
        }
        return "?"
    }

    /// The expression an index over `path` is declared on, so the planner can use it.
    static func extract(_ path: FieldPath) -> String {
        "json_extract(doc, '\(path.jsonPath)')"
    }
}
