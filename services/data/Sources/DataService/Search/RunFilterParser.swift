/// The run-search filter language: MLflow's `search_runs` filter plus OR, NOT and parentheses.
///
///     metrics.acc >= 0.9 and (params.optimizer = 'adam' or not tags.team in ('vision', 'nlp'))
///
/// Precedence is NOT over AND over OR. Keywords are case-insensitive. Numbers need a digit on
/// both sides of a '.' (`.5` and `5.` are errors). Quoted strings and keys share one escape set:
/// \' \" \` \\ \n \t. Columns in errors count Characters, 1-based.

/// A field a filter names: a run attribute, or a key under params / metrics (latest values) / tags.
struct RunFilterField: Sendable, Equatable {
    enum Kind: String, Sendable { case attribute, param, metric, tag }
    let kind: Kind
    /// Canonical attribute name or the param/metric/tag key as written (unquoted).
    let key: String
    /// 1-based column (in Characters) where the field starts in the filter text.
    let position: Int
}

enum RunFilterValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
}

enum RunFilterOperator: String, Sendable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

indirect enum RunFilterExpression: Sendable, Equatable {
    /// A chain `a and b and c` is one `.and([a, b, c])`; parenthesised groups stay nested.
    case and([RunFilterExpression])
    case or([RunFilterExpression])
    case not(RunFilterExpression)
    case compare(RunFilterField, RunFilterOperator, RunFilterValue)
    case among(RunFilterField, [RunFilterValue], negated: Bool)
    /// Inclusive on both ends.
    case between(RunFilterField, RunFilterValue, RunFilterValue)
}

struct RunFilterSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    let message: String
    /// 1-based column of the offending token; text length + 1 for an unexpected end.
    let position: Int
    var description: String { "column \(position): \(message)" }
}

extension RunFilterSyntaxError {
    fileprivate init(_ message: String, at position: Int) { self.init(message: message, position: position) }
}

enum RunFilterParser {
    /// Limits that keep a hostile filter from costing more than a normal one.
    static let maxLength = 10_000
    static let maxNesting = 64
    static let maxListValues = 1_000

    /// Canonical attribute names, in the order error messages list them.
    static let attributes = ["status", "name", "startTime", "endTime", "user", "experimentId", "id"]

    /// Parses `text`; an empty or all-whitespace text is nil (no filter).
    static func parse(_ text: String) throws(RunFilterSyntaxError) -> RunFilterExpression? {
        let chars = Array(text)
        guard chars.count <= maxLength else {
            throw RunFilterSyntaxError("the filter is longer than \(maxLength) characters", at: maxLength + 1)
        }
        guard !chars.allSatisfy(\.isWhitespace) else { return nil }
        var parser = try Parser(Lexer(chars: chars))
        let expression = try parser.parseOr()
        switch parser.current.kind {
        case .end: return expression
        case .rparen: throw RunFilterSyntaxError("unmatched ')'", at: parser.current.position)
        default:
            let message = "unexpected \(parser.current.quoted) after the end of the filter (missing 'and' or 'or'?)"
            throw RunFilterSyntaxError(message, at: parser.current.position)
        }
    }

    /// Parses one field as the filter language writes it (`metrics.acc`, `start_time`): what
    /// orderBy names, with the same aliases and quoting.
    static func parseField(_ text: String) throws(RunFilterSyntaxError) -> RunFilterField {
        guard text.count <= maxLength else {
            throw RunFilterSyntaxError("the field is longer than \(maxLength) characters", at: maxLength + 1)
        }
        var parser = try Parser(Lexer(chars: Array(text)))
        let field = try parser.parseField()
        guard parser.current.kind == .end else {
            throw RunFilterSyntaxError(
                "unexpected \(parser.current.quoted) after the field", at: parser.current.position)
        }
        return field
    }
}

// MARK: - Tokens

// Nested in RunFilterParser so these short names cannot collide with the rest of the module.
extension RunFilterParser {
    fileprivate struct Token {
        enum Kind: Equatable {
            /// An identifier-like run: a keyword, a bare attribute or a dotted field such as `metrics.val.loss`.
            case word
            /// `prefix.` followed directly by a quoted key, e.g. metrics.`my metric`.
            case quotedField(prefix: String, key: String)
            case string(String)
            case integer(Int64)
            case number(Double)
            case op(RunFilterOperator)
            case lparen, rparen, comma, end
        }
        let kind: Kind
        /// The token as written, for messages.
        let text: String
        let position: Int

        func isKeyword(_ keyword: String) -> Bool { kind == .word && text.lowercased() == keyword }
        static let keywords: Set<String> = ["and", "or", "not", "in", "between", "true", "false"]
        var isAnyKeyword: Bool { kind == .word && Token.keywords.contains(text.lowercased()) }
        /// String literals already show their quotes.
        var quoted: String {
            if case .string = kind { return text }
            return "'\(text)'"
        }
    }

    /// Produces tokens on demand, so the first error in reading order is the one reported.
    fileprivate struct Lexer {
        let chars: [Character]
        var index = 0

        private static let escapes: [Character: Character] = [
            "\\": "\\", "n": "\n", "t": "\t", "'": "'", "\"": "\"", "`": "`",
        ]
        private static let twoCharOperators: [String: RunFilterOperator] = [
            "==": .equal, "!=": .notEqual, "<>": .notEqual, "<=": .lessOrEqual, ">=": .greaterOrEqual,
        ]

        private func error(_ message: String, at index: Int) -> RunFilterSyntaxError {
            RunFilterSyntaxError(message, at: index + 1)
        }
        private func peek() -> Character? { index < chars.count ? chars[index] : nil }
        private func isDigit(_ c: Character) -> Bool { c.isASCII && c.isWholeNumber }
        private func isWordStart(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c == "_") }
        private func isKeyChar(_ c: Character) -> Bool {
            c.isASCII && (c.isLetter || c.isWholeNumber || "_-./:".contains(c))
        }

        mutating func next() throws(RunFilterSyntaxError) -> Token {
            while let c = peek(), c.isWhitespace { index += 1 }
            let start = index
            let kind = try scan()
            return Token(kind: kind, text: String(chars[start..<index]), position: start + 1)
        }

        private mutating func scan() throws(RunFilterSyntaxError) -> Token.Kind {
            guard let c = peek() else { return .end }
            switch c {
            case "(", ")", ",":
                index += 1
                return c == "(" ? .lparen : c == ")" ? .rparen : .comma
            case "'", "\"": return .string(try quoted())
            case "=", "!", "<", ">": return .op(try comparison())
            case _ where c == "-" || isDigit(c): return try number()
            case _ where isWordStart(c): return try word()
            default: throw error("unexpected character '\(c)'", at: index)
            }
        }

        private mutating func comparison() throws(RunFilterSyntaxError) -> RunFilterOperator {
            let first = chars[index]
            index += 1
            if let second = peek(), let op = Lexer.twoCharOperators[String([first, second])] {
                index += 1
                return op
            }
            switch first {
            case "=": return .equal
            case "<": return .less
            case ">": return .greater
            default: throw error("unexpected character '!'", at: index - 1)
            }
        }

        /// A quoted string or key; `index` is at the opening quote.
        private mutating func quoted() throws(RunFilterSyntaxError) -> String {
            let open = index
            let quote = chars[index]
            index += 1
            var result = ""
            while let c = peek() {
                index += 1
                if c == quote { return result }
                guard c == "\\" else {
                    result.append(c)
                    continue
                }
                guard let escaped = peek() else { break }
                guard let replacement = Lexer.escapes[escaped] else {
                    throw error("unknown escape '\\\(escaped)'", at: index - 1)
                }
                result.append(replacement)
                index += 1
            }
            throw error("unterminated string", at: open)
        }

        /// `-?digits(.digits)?([eE][+-]?digits)?`, an integer when it has neither fraction nor exponent.
        private mutating func number() throws(RunFilterSyntaxError) -> Token.Kind {
            let start = index
            var isInteger = true
            if peek() == "-" { index += 1 }
            try digits()
            if peek() == "." {
                index += 1
                try digits()
                isInteger = false
            }
            if peek() == "e" || peek() == "E" {
                index += 1
                if peek() == "+" || peek() == "-" { index += 1 }
                try digits()
                isInteger = false
            }
            // `1abc` or `1.2.3` is one malformed token, not a number followed by a field.
            if let c = peek(), isKeyChar(c) { throw error("unexpected character '\(c)'", at: index) }
            let text = String(chars[start..<index])
            if isInteger {
                guard let value = Int64(text) else { throw error("integer \(text) does not fit in 64 bits", at: start) }
                return .integer(value)
            }
            guard let value = Double(text), value.isFinite else {
                throw error("number \(text) is out of range", at: start)
            }
            return .number(value)
        }

        private mutating func digits() throws(RunFilterSyntaxError) {
            guard let c = peek(), isDigit(c) else {
                throw error("expected a digit after '\(chars[index - 1])'", at: index)
            }
            while let c = peek(), isDigit(c) { index += 1 }
        }

        private mutating func word() throws(RunFilterSyntaxError) -> Token.Kind {
            let start = index
            while let c = peek(), isKeyChar(c) { index += 1 }
            let text = String(chars[start..<index])
            // Only `prefix.` (one dot, at the end) may take a quoted key.
            if let c = peek(), "`'\"".contains(c), text.firstIndex(of: ".") == text.indices.last {
                return .quotedField(prefix: String(text.dropLast()), key: try quoted())
            }
            return .word
        }
    }

    // MARK: - Parser

    /// Recursive descent, one function per precedence level: or → and → unary (NOT) → primary.
    fileprivate struct Parser {
        private var lexer: Lexer
        private(set) var current: Token
        private var previous: Token?
        private var depth = 0

        private static let prefixes: [String: RunFilterField.Kind] = [
            "params": .param, "param": .param, "metrics": .metric, "metric": .metric, "tags": .tag, "tag": .tag,
            "attributes": .attribute, "attribute": .attribute, "attr": .attribute,
        ]
        /// Lowercased alias → canonical attribute name.
        private static let attributeAliases: [String: String] = [
            "status": "status", "name": "name", "run_name": "name", "runname": "name",
            "starttime": "startTime", "start_time": "startTime", "endtime": "endTime", "end_time": "endTime",
            "user": "user", "user_id": "user", "userid": "user", "createdby": "user",
            "experimentid": "experimentId", "experiment_id": "experimentId", "id": "id", "run_id": "id", "runid": "id",
        ]

        init(_ lexer: Lexer) throws(RunFilterSyntaxError) {
            self.lexer = lexer
            current = try self.lexer.next()
        }

        private mutating func advance() throws(RunFilterSyntaxError) {
            previous = current
            current = try lexer.next()
        }

        /// "expected X after 'prev', found 'cur'" at the current token.
        private func expected(_ what: String, hint: String = "") -> RunFilterSyntaxError {
            var message = "expected \(what)"
            if let previous { message += " after \(previous.quoted)" }
            if current.kind != .end { message += ", found \(current.quoted)" }
            return RunFilterSyntaxError(message + hint, at: current.position)
        }

        /// Bounds recursion so a hostile filter gets an error instead of a stack overflow.
        private mutating func enterNesting() throws(RunFilterSyntaxError) {
            guard depth < RunFilterParser.maxNesting else {
                throw RunFilterSyntaxError(
                    "the filter nests deeper than \(RunFilterParser.maxNesting) levels", at: current.position)
            }
            depth += 1
        }

        mutating func parseOr() throws(RunFilterSyntaxError) -> RunFilterExpression {
            var terms = [try parseAnd()]
            while current.isKeyword("or") {
                try advance()
                terms.append(try parseAnd())
            }
            return terms.count == 1 ? terms[0] : .or(terms)
        }

        private mutating func parseAnd() throws(RunFilterSyntaxError) -> RunFilterExpression {
            var terms = [try parseUnary()]
            while current.isKeyword("and") {
                try advance()
                terms.append(try parseUnary())
            }
            return terms.count == 1 ? terms[0] : .and(terms)
        }

        private mutating func parseUnary() throws(RunFilterSyntaxError) -> RunFilterExpression {
            guard current.isKeyword("not") else { return try parsePrimary() }
            try enterNesting()
            defer { depth -= 1 }
            try advance()
            return .not(try parseUnary())
        }

        private mutating func parsePrimary() throws(RunFilterSyntaxError) -> RunFilterExpression {
            switch current.kind {
            case .lparen: return try parseGroup()
            case .word where !current.isAnyKeyword, .quotedField: return try parsePredicate(try parseField())
            default: throw expected("a condition")
            }
        }

        private mutating func parseGroup() throws(RunFilterSyntaxError) -> RunFilterExpression {
            let open = current.position
            try enterNesting()
            defer { depth -= 1 }
            try advance()
            if current.kind == .rparen { throw RunFilterSyntaxError("empty parentheses", at: current.position) }
            let inner = try parseOr()
            guard current.kind == .rparen else { throw expected("')' to close the '(' at column \(open)") }
            try advance()
            return inner
        }

        mutating func parseField() throws(RunFilterSyntaxError) -> RunFilterField {
            let token = current
            try advance()
            if case .quotedField(let prefix, let key) = token.kind {
                return try resolve(prefix: prefix, key: key, at: token.position)
            }
            // A bare word is an attribute; otherwise the first dot ends the prefix (keys may hold dots).
            let parts = token.text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return try attribute(token.text, at: token.position) }
            return try resolve(prefix: String(parts[0]), key: String(parts[1]), at: token.position)
        }

        private func resolve(
            prefix: String, key: String, at position: Int
        ) throws(RunFilterSyntaxError) -> RunFilterField {
            guard let kind = Parser.prefixes[prefix.lowercased()] else {
                let message = "unknown field prefix '\(prefix)'; expected params., metrics., tags. or attributes."
                throw RunFilterSyntaxError(message, at: position)
            }
            guard !key.isEmpty else {
                throw RunFilterSyntaxError("expected a key after '\(prefix).'", at: position + prefix.count + 1)
            }
            return kind == .attribute
                ? try attribute(key, at: position) : RunFilterField(kind: kind, key: key, position: position)
        }

        private func attribute(_ name: String, at position: Int) throws(RunFilterSyntaxError) -> RunFilterField {
            guard let canonical = Parser.attributeAliases[name.lowercased()] else {
                let known = RunFilterParser.attributes.joined(separator: ", ")
                throw RunFilterSyntaxError("unknown attribute '\(name)'; known: \(known)", at: position)
            }
            return RunFilterField(kind: .attribute, key: canonical, position: position)
        }

        private mutating func parsePredicate(
            _ field: RunFilterField
        ) throws(RunFilterSyntaxError) -> RunFilterExpression {
            if case .op(let op) = current.kind {
                try advance()
                return .compare(field, op, try parseValue())
            }
            // `field not in (...)` is the negated membership, never a prefix NOT.
            let negated = current.isKeyword("not")
            if negated { try advance() }
            if current.isKeyword("in") {
                try advance()
                return .among(field, try parseList(), negated: negated)
            }
            if negated { throw expected("'in'") }
            guard current.isKeyword("between") else { throw expected("an operator") }
            try advance()
            let low = try parseValue()
            guard current.isKeyword("and") else { throw expected("'and'") }
            try advance()
            return .between(field, low, try parseValue())
        }

        private mutating func parseList() throws(RunFilterSyntaxError) -> [RunFilterValue] {
            guard current.kind == .lparen else { throw expected("'('") }
            try advance()
            if current.kind == .rparen {
                throw RunFilterSyntaxError("'in' needs at least one value", at: current.position)
            }
            var values = [try parseValue()]
            while current.kind == .comma {
                try advance()
                guard values.count < RunFilterParser.maxListValues else {
                    throw RunFilterSyntaxError(
                        "'in' takes at most \(RunFilterParser.maxListValues) values", at: current.position)
                }
                values.append(try parseValue())
            }
            guard current.kind == .rparen else { throw expected("',' or ')'") }
            try advance()
            return values
        }

        private mutating func parseValue() throws(RunFilterSyntaxError) -> RunFilterValue {
            let value: RunFilterValue
            switch current.kind {
            case .string(let string): value = .string(string)
            case .integer(let integer): value = .integer(integer)
            case .number(let number): value = .number(number)
            case .word where current.isKeyword("true"): value = .bool(true)
            case .word where current.isKeyword("false"): value = .bool(false)
            case .word: throw expected("a value", hint: " (strings need quotes)")
            default: throw expected("a value")
            }
            try advance()
            return value
        }
    }
}
