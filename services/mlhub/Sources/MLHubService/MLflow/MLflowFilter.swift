import Platform

/// MLflow's registry search filter: clauses joined by AND, each `<attribute> <op> <value>` —
/// `name LIKE '%x%'`, `name='x'`, `tags.k = 'v'` (or tags.`my key`), `run_id IN ('a', 'b')`,
/// `version_number >= 2`. Ops: =, !=, <, <=, >, >=, LIKE, ILIKE, IN. A bad filter is 400
/// naming `filter`, with the 1-based column where it went wrong.
struct MLflowFilter: Sendable {
    enum Attribute: Sendable, Equatable {
        case field(String)
        case tag(String)
    }

    struct Clause: Sendable {
        let attribute: Attribute
        let op: String
        let values: [String]
    }

    let clauses: [Clause]

    /// `fields` are the attribute names this search knows besides `tags.<key>`.
    init(_ text: String?, fields: Set<String>) throws {
        var parser = Parser(text: Array(text ?? ""), fields: fields)
        clauses = try parser.clauses()
    }

    /// Whether every clause holds; `value` gives an attribute's value (nil: absent, which
    /// only `!=` accepts).
    func matches(_ value: (Attribute) -> String?) -> Bool {
        clauses.allSatisfy { clause in
            guard let actual = value(clause.attribute) else { return clause.op == "!=" }
            return Self.holds(clause.op, actual, clause.values)
        }
    }

    private static func holds(_ op: String, _ actual: String, _ values: [String]) -> Bool {
        let expected = values.first ?? ""
        switch op {
        case "=": return actual == expected
        case "!=": return actual != expected
        case "LIKE": return like(Array(actual), Array(expected))
        case "ILIKE": return like(Array(actual.lowercased()), Array(expected.lowercased()))
        case "IN": return values.contains(actual)
        default:
            // Ordering compares numbers as numbers (version_number), anything else as text.
            let order: Int
            if let left = Double(actual), let right = Double(expected) {
                order = left < right ? -1 : (left > right ? 1 : 0)
            } else {
                order = actual < expected ? -1 : (actual > expected ? 1 : 0)
            }
            switch op {
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    /// SQL LIKE: `%` any run of characters, `_` one character.
    static func like(_ text: [Character], _ pattern: [Character]) -> Bool {
        var reachable = [Bool](repeating: false, count: text.count + 1)
        reachable[0] = true
        for symbol in pattern {
            var next = [Bool](repeating: false, count: text.count + 1)
            if symbol == "%" {
                var seen = false
                for index in 0...text.count {
                    seen = seen || reachable[index]
                    next[index] = seen
                }
            } else {
                for index in 0..<text.count where reachable[index] && (symbol == "_" || text[index] == symbol) {
                    next[index + 1] = true
                }
            }
            reachable = next
        }
        return reachable[text.count]
    }

    private struct Parser {
        let text: [Character]
        let fields: Set<String>
        var position = 0

        mutating func clauses() throws -> [Clause] {
            var clauses: [Clause] = []
            skipSpaces()
            guard position < text.count else { return [] }
            repeat {
                clauses.append(try clause())
                skipSpaces()
            } while position < text.count && keyword("AND")
            guard position >= text.count else { throw failure("expected AND or the end of the filter") }
            return clauses
        }

        private mutating func clause() throws -> Clause {
            skipSpaces()
            let attribute = try self.attribute()
            skipSpaces()
            let op = try self.op()
            skipSpaces()
            let values: [String]
            if op == "IN" {
                guard next == "(" else { throw failure("IN takes a list: ('a', 'b')") }
                position += 1
                var list: [String] = []
                repeat {
                    skipSpaces()
                    list.append(try value())
                    skipSpaces()
                } while consume(",")
                guard consume(")") else { throw failure("expected ) after the list") }
                values = list
            } else {
                values = [try value()]
            }
            return Clause(attribute: attribute, op: op, values: values)
        }

        private mutating func attribute() throws -> Attribute {
            let start = position
            let name = try identifier()
            if name.lowercased() == "tags" || name.lowercased() == "tag" {
                guard consume(".") else { throw failure("expected tags.<key>") }
                let key = next == "`" || next == "\"" ? try quoted() : try identifier(dots: true)
                return .tag(key)
            }
            var full = name
            while consume(".") { full += "." + (try identifier()) }
            let lowered = full.lowercased()
            guard fields.contains(lowered) else {
                position = start
                throw failure(
                    "unknown attribute \(full); this search knows \(fields.sorted().joined(separator: ", ")) and tags.<key>"
                )
            }
            return .field(lowered)
        }

        private mutating func op() throws -> String {
            for symbol in ["!=", "<=", ">=", "=", "<", ">"] where matches(symbol) {
                position += symbol.count
                return symbol
            }
            let start = position
            let word = (try? identifier())?.uppercased() ?? ""
            guard ["LIKE", "ILIKE", "IN"].contains(word) else {
                position = start
                throw failure("expected a comparison: =, !=, <, <=, >, >=, LIKE, ILIKE or IN")
            }
            return word
        }

        private mutating func value() throws -> String {
            if next == "'" || next == "\"" { return try quoted() }
            let start = position
            while position < text.count, text[position].isNumber || "-.".contains(text[position]) { position += 1 }
            guard position > start else { throw failure("expected a quoted string or a number") }
            return String(text[start..<position])
        }

        private mutating func quoted() throws -> String {
            let quote = text[position]
            let start = position
            position += 1
            var value = ""
            while position < text.count {
                if text[position] == quote {
                    // A doubled quote stands for itself, as in SQL.
                    if position + 1 < text.count, text[position + 1] == quote {
                        value.append(quote)
                        position += 2
                        continue
                    }
                    position += 1
                    return value
                }
                value.append(text[position])
                position += 1
            }
            position = start
            throw failure("unterminated quote")
        }

        private mutating func identifier(dots: Bool = false) throws -> String {
            let start = position
            while position < text.count,
                text[position].isLetter || text[position].isNumber || text[position] == "_"
                    || (dots && text[position] == ".")
            {
                position += 1
            }
            guard position > start else { throw failure("expected a name") }
            return String(text[start..<position])
        }

        private mutating func keyword(_ word: String) -> Bool {
            let start = position
            guard let found = try? identifier(), found.uppercased() == word else {
                position = start
                return false
            }
            return true
        }

        private var next: Character? { position < text.count ? text[position] : nil }

        private func matches(_ symbol: String) -> Bool {
            let symbol = Array(symbol)
            return position + symbol.count <= text.count && Array(text[position..<position + symbol.count]) == symbol
        }

        private mutating func consume(_ symbol: Character) -> Bool {
            guard next == symbol else { return false }
            position += 1
            return true
        }

        private mutating func skipSpaces() {
            while position < text.count, text[position].isWhitespace { position += 1 }
        }

        private func failure(_ message: String) -> APIError {
            APIError(
                .badRequest, code: "INVALID_PARAMETER_VALUE",
                message: "invalid filter at column \(position + 1): \(message)", field: "filter",
                position: position + 1)
        }
    }
}
