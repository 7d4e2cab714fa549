import Foundation
import Platform

/// Turns a parsed run filter into the store's filter (MongoDB operators), checking each value
/// against its field: metrics are numbers, times are RFC 3339 or epoch milliseconds, statuses
/// are known ones. Mistakes are 400s carrying the field's column, like parse errors.
enum RunFilterTranslation {
    static func filter(_ expression: RunFilterExpression) throws -> JSONValue {
        switch expression {
        case .and(let parts): return ["$and": .array(try parts.map(filter))]
        case .or(let parts): return ["$or": .array(try parts.map(filter))]
        case .not(let inner): return ["$not": try filter(inner)]
        case .compare(let field, let op, let value):
            let path = try documentPath(field)
            let candidates = try storedValues(value, for: field)
            switch op {
            case .equal:
                return candidates.count == 1 ? [path: candidates[0]] : [path: ["$in": .array(candidates)]]
            case .notEqual:
                return candidates.count == 1 ? [path: ["$ne": candidates[0]]] : [path: ["$nin": .array(candidates)]]
            case .less, .lessOrEqual, .greater, .greaterOrEqual:
                return [path: [rangeOperator(op): try rangeValue(value, for: field)]]
            }
        case .among(let field, let values, let negated):
            let path = try documentPath(field)
            let candidates = try values.flatMap { try storedValues($0, for: field) }
            return [path: [negated ? "$nin" : "$in": .array(candidates)]]
        case .between(let field, let low, let high):
            let path = try documentPath(field)
            return [
                "$and": [
                    [path: ["$gte": try rangeValue(low, for: field)]],
                    [path: ["$lte": try rangeValue(high, for: field)]],
                ]
            ]
        }
    }

    /// Where a field lives in a run document.
    static func documentPath(_ field: RunFilterField) throws -> String {
        switch field.kind {
        case .param: return "params.\(FieldKey.encode(field.key))"
        case .metric: return "metrics.\(FieldKey.encode(field.key))"
        case .tag: return "tags.\(FieldKey.encode(field.key))"
        case .attribute:
            switch field.key {
            case "user": return "createdBy"
            case "status", "name", "startTime", "endTime", "experimentId", "id": return field.key
            default: throw error("unknown attribute \(field.key)", field)
            }
        }
    }

    /// The stored values an equality matches. A number compared with a param also matches its
    /// text ("0.01"), since scripts log params both ways; tags are text, so a number means its text.
    private static func storedValues(_ value: RunFilterValue, for field: RunFilterField) throws -> [JSONValue] {
        switch (field.kind, value) {
        case (.metric, .integer(let number)): return [.double(Double(number))]
        case (.metric, .number(let number)): return [.double(number)]
        case (.metric, _): throw error("metrics.\(field.key) is a number; compare it with a number", field)
        case (.param, .string(let text)): return [.string(text)]
        case (.param, .integer(let number)): return [.int(number), .string(String(number))]
        case (.param, .number(let number)): return [.double(number), .string(String(number))]
        case (.param, .bool(let flag)): return [.bool(flag), .string(String(flag))]
        case (.tag, _): return [.string(text(of: value))]
        case (.attribute, _): return [try attributeValue(value, for: field)]
        }
    }

    /// Ranges compare like with like: numbers for metrics and params, times for start and end.
    private static func rangeValue(_ value: RunFilterValue, for field: RunFilterField) throws -> JSONValue {
        switch (field.kind, value) {
        case (.metric, _), (.param, .integer), (.param, .number): return try storedValues(value, for: field)[0]
        case (.param, .string(let text)), (.tag, .string(let text)): return .string(text)
        case (.attribute, _): return try attributeValue(value, for: field)
        default:
            throw error(
                "\(field.kind.rawValue)s.\(field.key) cannot be compared in a range with \(text(of: value))", field)
        }
    }

    private static func attributeValue(_ value: RunFilterValue, for field: RunFilterField) throws -> JSONValue {
        switch (field.key, value) {
        case ("startTime", .integer(let millis)), ("endTime", .integer(let millis)):
            guard Timestamp.representable.contains(millis) else {
                throw error("\(field.key) in epoch milliseconds lies between years 0 and 9999", field)
            }
            return .string(Timestamp.format(Date(timeIntervalSince1970: Double(millis) / 1000)))
        case ("startTime", .string(let text)), ("endTime", .string(let text)):
            guard let date = Timestamp.parse(text) else {
                throw error("\(field.key) takes an RFC 3339 time or epoch milliseconds", field)
            }
            return .string(Timestamp.format(date))
        case ("status", .string(let text)):
            guard let status = RunStatus(rawValue: text.lowercased()) else {
                throw error("status is one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))", field)
            }
            return .string(status.rawValue)
        case (_, .string(let text)):
            return .string(text)
        default:
            throw error("\(field.key) is compared with a quoted string", field)
        }
    }

    private static func rangeOperator(_ op: RunFilterOperator) -> String {
        switch op {
        case .less: "$lt"
        case .lessOrEqual: "$lte"
        case .greater: "$gt"
        default: "$gte"
        }
    }

    private static func text(of value: RunFilterValue) -> String {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .bool(let flag): String(flag)
        }
    }

    private static func error(_ message: String, _ field: RunFilterField) -> APIError {
        .badRequest(message, code: "invalid_filter", field: "filter", position: field.position)
    }
}
