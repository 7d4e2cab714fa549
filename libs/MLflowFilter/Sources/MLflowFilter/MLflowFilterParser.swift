/// MLflow's search-filter grammar, the one its client sends for experiments, logged models,
/// registered models and model versions: comparisons joined by AND,
///
///     name LIKE 'cat%' AND tags.`my key` = "x" AND creation_time > 1700000000000
///     run_id IN ('a', 'b') AND version_number >= 2
///
/// Fields are bare names (attributes) or `<entity>.<key>` with entity attributes/attribute/attr,
/// tags/tag, params/param, metrics/metric; a key with other characters is in backquotes or
/// double quotes. Operators `= != < <= > >= LIKE ILIKE IN` (`==` reads as `=`, `<>` as `!=`);
/// values are quoted strings (`\'` and `''` stand for a quote), numbers, or for IN a list.
public enum MLflowFilterParser {
    /// The clauses of `text`; an empty filter has none.
    public static func clauses(_ text: String) throws(MLflowFilterError) -> [MLflowFilterClause] {
        var scanner = Scanner(Array(text))
        return try scanner.clauses()
    }

    /// `text` as one field (an `order_by` key, say), or an error if it is anything else.
    public static func field(_ text: String) throws(MLflowFilterError) -> MLflowFilterField {
        var scanner = Scanner(Array(text))
        scanner.skipSpaces()
        let field = try scanner.field()
        scanner.skipSpaces()
        guard scanner.atEnd else { throw scanner.failure("unexpected text after the field") }
        return field
    }
}

extension MLflowFilterParser {
    static let entities: [String: MLflowFilterField.Entity] = [
        "attributes": .attribute, "attribute": .attribute, "attr": .attribute, "tags": .tag, "tag": .tag,
        "params": .param, "param": .param, "metrics": .metric, "metric": .metric,
    ]

    fileprivate struct Scanner {
        let text: [Character]
        var position = 0

        init(_ text: [Character]) { self.text = text }

        var atEnd: Bool { position >= text.count }
        private var next: Character? { atEnd ? nil : text[position] }

        mutating func clauses() throws(MLflowFilterError) -> [MLflowFilterClause] {
            skipSpaces()
            guard !atEnd else { return [] }
            var clauses: [MLflowFilterClause] = []
            repeat {
                clauses.append(try clause())
                skipSpaces()
            } while !atEnd && keyword("AND")
            guard atEnd else { throw failure("expected AND or the end of the filter") }
            return clauses
        }

        private mutating func clause() throws(MLflowFilterError) -> MLflowFilterClause {
            skipSpaces()
            let field = try self.field()
            skipSpaces()
            let op = try self.op()
            skipSpaces()
            let start = position
            let value: MLflowFilterValue
            switch op {
            case .in:
                guard consume("(") else { throw failure("IN takes a list: ('a', 'b')") }
                var items: [MLflowFilterValue] = []
                repeat {
                    skipSpaces()
                    items.append(try scalar())
                    skipSpaces()
                } while consume(",")
                guard consume(")") else { throw failure("expected , or ) in the list") }
                value = .list(items)
            case .like, .ilike:
                guard next == "'" || next == "\"" else { throw failure("\(op.rawValue) takes a quoted pattern") }
                value = .string(try quoted())
            default:
                value = try scalar()
            }
            return MLflowFilterClause(field: field, op: op, value: value, valuePosition: start + 1)
        }

        mutating func field() throws(MLflowFilterError) -> MLflowFilterField {
            let start = position
            if next == "`" {
                let name = try quoted()
                return made(.attribute, key: name.lowercased(), from: start)
            }
            let head = try word(keyCharacters: false)
            guard let entity = MLflowFilterParser.entities[head.lowercased()], next == "." else {
                // A bare name, or a dotted one that is no entity's (the caller says it is unknown).
                var name = head
                while consume(".") { name += "." + (try word(keyCharacters: false)) }
                return made(.attribute, key: name.lowercased(), from: start)
            }
            position += 1
            let key = next == "`" || next == "\"" ? try quoted() : try word(keyCharacters: true)
            return made(entity, key: entity == .attribute ? key.lowercased() : key, from: start)
        }

        private func made(_ entity: MLflowFilterField.Entity, key: String, from start: Int) -> MLflowFilterField {
            MLflowFilterField(entity: entity, key: key, text: String(text[start..<position]), position: start + 1)
        }

        private mutating func op() throws(MLflowFilterError) -> MLflowFilterOperator {
            let symbols: [(String, MLflowFilterOperator)] = [
                ("!=", .notEqual), ("<>", .notEqual), ("<=", .lessOrEqual), (">=", .greaterOrEqual), ("==", .equal),
                ("=", .equal), ("<", .less), (">", .greater),
            ]
            for (symbol, op) in symbols where starts(with: symbol) {
                position += symbol.count
                return op
            }
            let start = position
            let word = (try? self.word(keyCharacters: false))?.uppercased() ?? ""
            guard let op = MLflowFilterOperator(rawValue: word), op == .like || op == .ilike || op == .in else {
                position = start
                throw failure("expected a comparison: =, !=, <, <=, >, >=, LIKE, ILIKE or IN")
            }
            return op
        }

        /// A quoted string or a number.
        private mutating func scalar() throws(MLflowFilterError) -> MLflowFilterValue {
            if next == "'" || next == "\"" { return .string(try quoted()) }
            let start = position
            if next == "-" || next == "+" { position += 1 }
            while let c = next,
                c.isNumber || c == "." || c == "e" || c == "E"
                    || ((c == "-" || c == "+") && (text[position - 1] == "e" || text[position - 1] == "E"))
            {
                position += 1
            }
            let written = String(text[start..<position])
            guard position > start, let number = Double(written), number.isFinite else {
                position = start
                throw failure("expected a quoted string or a number")
            }
            return .number(number)
        }

        /// A string in the quote at `position` ( ' " or ` ): a backslash takes the next character
        /// as it is, and a doubled quote stands for one, as in SQL.
        private mutating func quoted() throws(MLflowFilterError) -> String {
            let quote = text[position]
            let start = position
            position += 1
            var value = ""
            while let c = next {
                if c == "\\", position + 1 < text.count {
                    value.append(text[position + 1])
                    position += 2
                } else if c == quote, position + 1 < text.count, text[position + 1] == quote {
                    value.append(quote)
                    position += 2
                } else if c == quote {
                    position += 1
                    return value
                } else {
                    value.append(c)
                    position += 1
                }
            }
            position = start
            throw failure("unterminated quote")
        }

        /// A name: letters, digits and `_`; a key after an entity may hold `. - : /` too
        /// (`tags.mlflow.user`).
        private mutating func word(keyCharacters: Bool) throws(MLflowFilterError) -> String {
            let start = position
            while let c = next, c.isLetter || c.isNumber || c == "_" || (keyCharacters && ".-:/".contains(c)) {
                position += 1
            }
            guard position > start else { throw failure("expected a name") }
            return String(text[start..<position])
        }

        private mutating func keyword(_ word: String) -> Bool {
            let start = position
            guard let found = try? self.word(keyCharacters: false), found.uppercased() == word else {
                position = start
                return false
            }
            return true
        }

        private func starts(with symbol: String) -> Bool {
            let symbol = Array(symbol)
            return position + symbol.count <= text.count && Array(text[position..<position + symbol.count]) == symbol
        }

        private mutating func consume(_ symbol: Character) -> Bool {
            guard next == symbol else { return false }
            position += 1
            return true
        }

        mutating func skipSpaces() {
            while let c = next, c.isWhitespace { position += 1 }
        }

        func failure(_ message: String) -> MLflowFilterError {
            MLflowFilterError(message, at: position + 1)
        }
    }
}
