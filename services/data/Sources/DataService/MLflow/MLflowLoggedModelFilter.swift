import Foundation
import Platform

/// The filters `search_logged_models` takes, MLflow's subset of SQL: comparisons joined by
/// `AND`, e.g. `name = 'classifier' AND params.alpha = '0.5' AND creation_timestamp > 1700000000000`.
/// Fields: `name`, `model_id`, `model_type`, `status`, `source_run_id`, `creation_timestamp`,
/// `last_updated_timestamp`, `params.<key>`, `tags.<key>` (keys with other characters in
/// backquotes); operators `= != < <= > >= LIKE ILIKE` (`%` and `_` wildcards).
struct MLflowLoggedModelFilter {
    enum Value: Equatable {
        case text(String)
        case number(Double)
    }

    struct Comparison {
        let field: String
        let op: String
        let value: Value
    }

    let comparisons: [Comparison]

    /// An empty or absent filter matches every model; a malformed one is a 400 naming `filter`.
    init(_ text: String?) throws {
        var tokens = try Self.tokens(text ?? "")
        var comparisons: [Comparison] = []
        while !tokens.isEmpty {
            guard tokens.count >= 3 else { throw Self.invalid("a comparison is <field> <operator> <value>") }
            let field = tokens.removeFirst()
            let op = tokens.removeFirst().uppercased()
            let raw = tokens.removeFirst()
            guard ["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE"].contains(op) else {
                throw Self.invalid("unknown operator \(op)")
            }
            let value: Value
            if raw.hasPrefix("'") || raw.hasPrefix("\"") {
                value = .text(String(raw.dropFirst().dropLast()))
            } else if let number = Double(raw) {
                value = .number(number)
            } else {
                throw Self.invalid("\(raw) is neither a quoted string nor a number")
            }
            comparisons.append(Comparison(field: field, op: op, value: value))
            if let next = tokens.first {
                guard next.uppercased() == "AND" else { throw Self.invalid("comparisons are joined by AND") }
                tokens.removeFirst()
                if tokens.isEmpty { throw Self.invalid("the filter ends with AND") }
            }
        }
        for comparison in comparisons { _ = try Self.known(comparison.field) }
        self.comparisons = comparisons
    }

    func matches(_ model: MLflowLoggedModel) -> Bool {
        comparisons.allSatisfy { comparison in
            guard let actual = (try? Self.value(of: comparison.field, in: model)) ?? nil else { return false }
            return Self.compare(actual, comparison.op, comparison.value)
        }
    }

    private static func known(_ field: String) throws -> String {
        let attributes = [
            "name", "model_id", "model_type", "status", "source_run_id", "creation_timestamp",
            "last_updated_timestamp",
        ]
        let bare = field.hasPrefix("attributes.") ? String(field.dropFirst("attributes.".count)) : field
        if attributes.contains(bare) || bare.hasPrefix("params.") || bare.hasPrefix("tags.")
            || bare.hasPrefix("metrics.")
        {
            return bare
        }
        throw invalid("unknown field \(field)")
    }

    private static func value(of field: String, in model: MLflowLoggedModel) throws -> Value? {
        let bare = try known(field)
        if bare.hasPrefix("params.") {
            let key = unquoted(bare.dropFirst("params.".count))
            return model.params.first { $0.key == key }.map { .text($0.value) }
        }
        if bare.hasPrefix("tags.") {
            let key = unquoted(bare.dropFirst("tags.".count))
            return model.tags.first { $0.key == key }.map { .text($0.value) }
        }
        switch bare {
        case "name": return .text(model.name)
        case "model_id": return .text(model.id)
        case "model_type": return model.modelType.map(Value.text)
        case "status": return .text(model.status.rawValue)
        case "source_run_id": return model.sourceRunId.map(Value.text)
        case "creation_timestamp": return .number(Double(model.creationTimestampMs))
        case "last_updated_timestamp": return .number(Double(model.lastUpdatedTimestampMs))
        default: return nil  // metrics of logged models are not kept here
        }
    }

    private static func unquoted(_ key: Substring) -> String {
        key.hasPrefix("`") && key.hasSuffix("`") && key.count >= 2 ? String(key.dropFirst().dropLast()) : String(key)
    }

    private static func compare(_ actual: Value, _ op: String, _ expected: Value) -> Bool {
        switch (actual, expected) {
        case (.number(let left), .number(let right)): return ordered(left, op, right)
        case (.text(let left), .number(let right)): return Double(left).map { ordered($0, op, right) } ?? false
        case (.number(let left), .text(let right)): return Double(right).map { ordered(left, op, $0) } ?? false
        case (.text(let left), .text(let right)):
            switch op {
            case "LIKE": return like(left, right, caseSensitive: true)
            case "ILIKE": return like(left, right, caseSensitive: false)
            // MLflow's statuses read READY as well as LOGGED_MODEL_READY.
            default: return ordered(left, op, right) || ordered(left, op, "LOGGED_MODEL_" + right)
            }
        }
    }

    private static func ordered<T: Comparable>(_ left: T, _ op: String, _ right: T) -> Bool {
        switch op {
        case "=": left == right
        case "!=": left != right
        case "<": left < right
        case "<=": left <= right
        case ">": left > right
        case ">=": left >= right
        default: false
        }
    }

    /// SQL's LIKE: `%` any run of characters, `_` one character. Row by row over the pattern
    /// (no recursion, so no pattern is deep enough to exhaust a stack).
    private static func like(_ text: String, _ pattern: String, caseSensitive: Bool) -> Bool {
        let text = Array(caseSensitive ? text : text.lowercased())
        let pattern = Array(caseSensitive ? pattern : pattern.lowercased())
        // matched[t]: the pattern so far matches the first t characters of the text.
        var matched = [Bool](repeating: false, count: text.count + 1)
        matched[0] = true
        for symbol in pattern {
            var next = [Bool](repeating: false, count: text.count + 1)
            if symbol == "%" {
                var seen = false
                for t in 0...text.count {
                    seen = seen || matched[t]
                    next[t] = seen
                }
            } else {
                for t in 0..<text.count where matched[t] && (symbol == "_" || symbol == text[t]) {
                    next[t + 1] = true
                }
            }
            matched = next
        }
        return matched[text.count]
    }

    /// Words, operators and quoted strings (quotes kept, so values can be told from fields).
    private static func tokens(_ text: String) throws -> [String] {
        var tokens: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isWhitespace {
                index = text.index(after: index)
            } else if character == "'" || character == "\"" {
                guard let close = text[text.index(after: index)...].firstIndex(of: character) else {
                    throw invalid("a quoted string is not closed")
                }
                tokens.append(String(text[index...close]))
                index = text.index(after: close)
            } else if "=!<>".contains(character) {
                var end = text.index(after: index)
                if end < text.endIndex, text[end] == "=" { end = text.index(after: end) }
                let op = String(text[index..<end])
                guard op != "!" else { throw invalid("! is followed by =") }
                tokens.append(op)
                index = end
            } else {
                var end = index
                var quoted = false
                while end < text.endIndex {
                    let next = text[end]
                    if next == "`" { quoted.toggle() }
                    if !quoted, next.isWhitespace || "=!<>'\"".contains(next) { break }
                    end = text.index(after: end)
                }
                tokens.append(String(text[index..<end]))
                index = end
            }
        }
        return tokens
    }

    private static func invalid(_ message: String) -> APIError {
        APIError.invalidField("filter", "invalid filter: \(message)")
    }
}
