import Platform

/// A filter checked once and in one place, whatever backend answers it: the SQLite backend
/// compiles it to SQL, the MongoDB backend writes it back as MongoDB's own operators. What
/// `Filter(parsing:)` refuses, no backend ever sees.
package indirect enum Filter: Equatable {
    case all
    case and([Filter])
    case or([Filter])
    /// Matches what `Filter` does not, including documents lacking its fields (MongoDB's `$nor`).
    case not(Filter)
    case compare(FieldPath, Comparison)

    package enum Comparison: Equatable {
        /// `null` matches a null or missing field, as in MongoDB.
        case eq(JSONValue)
        case ne(JSONValue)
        /// `$gt`, `$gte`, `$lt`, `$lte`: only values of the operand's kind match.
        case range(String, JSONValue)
        case `in`([JSONValue])
        case nin([JSONValue])
        case exists(Bool)
        /// `$all`: an array field holding every one of the values (a scalar field equal to the one value).
        case containsAll([JSONValue])
    }

    /// Reads MongoDB's filter syntax: members of an object are ANDed; `$and`/`$or` take
    /// non-empty arrays; `$not` (ours, at any level) takes a filter; a field takes a scalar or
    /// an object of `$eq $ne $gt $gte $lt $lte $in $nin $exists $all`.
    package init(parsing filter: JSONValue) throws {
        guard case .object(let members) = filter else {
            throw StoreError(.invalidFilter, "a filter is a JSON object")
        }
        let parts = try members.sorted { $0.key < $1.key }.map { key, value in try Self.member(key, value) }
        switch parts.count {
        case 0: self = .all
        case 1: self = parts[0]
        default: self = .and(parts)
        }
    }

    private static func member(_ key: String, _ value: JSONValue) throws -> Filter {
        switch key {
        case "$and", "$or":
            guard case .array(let elements) = value, !elements.isEmpty else {
                throw StoreError(.invalidFilter, "\(key) takes a non-empty array of filters", field: key)
            }
            let parts = try elements.map { try Filter(parsing: $0) }
            return key == "$and" ? .and(parts) : .or(parts)
        case "$not":
            return .not(try Filter(parsing: value))
        default:
            if key.hasPrefix("$") { throw StoreError(.invalidFilter, "unknown operator \(key)", field: key) }
            let path = try FieldPath(key)
            if case .object(let operators) = value, let first = operators.keys.first, first.hasPrefix("$") {
                let parts = try operators.sorted { $0.key < $1.key }.map { op, operand in
                    Filter.compare(path, try comparison(path, op, operand))
                }
                return parts.count == 1 ? parts[0] : .and(parts)
            }
            return .compare(path, .eq(try scalar(value, path)))
        }
    }

    private static func comparison(_ path: FieldPath, _ op: String, _ operand: JSONValue) throws -> Comparison {
        switch op {
        case "$eq": return .eq(try scalar(operand, path))
        case "$ne": return .ne(try scalar(operand, path))
        case "$gt", "$gte", "$lt", "$lte": return .range(op, try scalar(operand, path))
        case "$in", "$nin":
            guard case .array(let values) = operand else {
                throw StoreError(.invalidFilter, "\(op) takes an array", field: path.dotted)
            }
            let scalars = try values.map { try scalar($0, path) }
            return op == "$in" ? .in(scalars) : .nin(scalars)
        case "$all":
            guard case .array(let values) = operand, !values.isEmpty else {
                throw StoreError(.invalidFilter, "$all takes a non-empty array", field: path.dotted)
            }
            return .containsAll(try values.map { try scalar($0, path) })
        case "$exists":
            guard case .bool(let exists) = operand else {
                throw StoreError(.invalidFilter, "$exists takes true or false", field: path.dotted)
            }
            return .exists(exists)
        default:
            throw StoreError(.invalidFilter, "unknown operator \(op)", field: path.dotted)
        }
    }

    private static func scalar(_ value: JSONValue, _ path: FieldPath) throws -> JSONValue {
        switch value {
        case .array, .object: throw StoreError(.invalidFilter, "only scalars can be compared", field: path.dotted)
        default: return value
        }
    }
}

/// Keyset pagination as a filter both backends answer: "comes after `last` in (keys…, id)
/// order", spelled out lexicographically. Nulls (and missing fields) sort lowest, as in
/// SQLite and MongoDB alike, so they come first ascending and last descending.
package enum Keyset {
    package static func filter(sort: [SortKey], after last: JSONValue) throws -> JSONValue {
        let descending = sort.first?.descending ?? false
        guard sort.allSatisfy({ $0.descending == descending }) else {
            throw StoreError(.invalidFilter, "keyset pagination needs every sort key in one direction")
        }
        guard case .string(let lastID)? = last["id"] else {
            throw StoreError(.invalidFilter, "after must be a document with an id", field: "after")
        }
        let keys = try sort.map { key -> (String, JSONValue) in
            let value = last.value(at: try FieldPath(key.path)) ?? .null
            if case .array = value { throw StoreError(.invalidFilter, "sort keys must be scalars", field: key.path) }
            if case .object = value { throw StoreError(.invalidFilter, "sort keys must be scalars", field: key.path) }
            return (key.path, value)
        }
        var alternatives: [JSONValue] = []
        for index in 0...keys.count {
            // Descending puts nulls last: after a null key nothing follows but its ties.
            if index < keys.count, keys[index].1 == .null, descending { continue }
            var parts: [JSONValue] = keys[..<index].map { [$0.0: $0.1] }
            if index == keys.count {
                parts.append(["id": [descending ? "$lt" : "$gt": .string(lastID)]])
            } else {
                let (path, value) = keys[index]
                if value == .null {
                    parts.append([path: ["$ne": nil]])
                } else if descending {
                    parts.append(["$or": [[path: ["$lt": value]], [path: nil]]])
                } else {
                    parts.append([path: ["$gt": value]])
                }
            }
            alternatives.append(parts.count == 1 ? parts[0] : ["$and": .array(parts)])
        }
        return ["$or": .array(alternatives)]
    }
}
