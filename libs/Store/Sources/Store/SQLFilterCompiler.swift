import Platform
import SQLite

/// Compiles a MongoDB-style filter to an SQLite `WHERE` clause over `json_extract(doc, path)`,
/// with every value bound as a parameter (nothing from a client is spliced into SQL).
struct SQLFilterCompiler {
    private(set) var bindings: [SQLiteValue] = []

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
            return "NOT " + (try compile(value))
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
        let column = Self.extract(path)
        switch op {
        case "$eq":
            if operand == .null { return "\(column) IS NULL" }
            return "\(column) = \(try bind(operand, path))"
        case "$ne":
            if operand == .null { return "\(column) IS NOT NULL" }
            return "(\(column) IS NULL OR \(column) != \(try bind(operand, path)))"
        case "$gt", "$gte", "$lt", "$lte":
            let symbol = ["$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="][op]!
            return "\(column) \(symbol) \(try bind(operand, path))"
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
