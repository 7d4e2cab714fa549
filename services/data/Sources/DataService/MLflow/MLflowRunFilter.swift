import Foundation
import MLflowFilter
import Platform

/// MLflow's run filter in terms of ours. MLflow's grammar is comparisons joined by AND, which
/// our filter language (`RunFilterParser`) reads as it is, except `LIKE` and `ILIKE`, which it
/// lacks and the store cannot evaluate. Those comparisons are taken out here: a case-sensitive
/// prefix (`'abc%'`) or a pattern without wildcards becomes a range or an equality the store
/// answers from its index; any other pattern is checked on the runs the rest of the filter finds
/// (`MLflowRunSearch` reads on until a page is full).
struct MLflowRunFilter {
    /// A LIKE the store cannot answer, checked on each run found.
    struct Pattern {
        let field: RunFilterField
        let pattern: String
        let caseInsensitive: Bool

        func matches(_ run: Run) -> Bool {
            guard let value = Self.value(of: field, in: run) else { return false }
            return MLflowLike.matches(value, pattern: pattern, caseInsensitive: caseInsensitive)
        }

        private static func value(of field: RunFilterField, in run: Run) -> String? {
            switch field.kind {
            case .param: return run.params[field.key].map(MLflowViews.text(of:))
            case .tag: return run.tags[field.key].map(MLflowViews.text(of:))
            case .metric: return nil
            case .attribute:
                switch field.key {
                case "name": return run.name
                case "status": return MLflowViews.status(run.status)
                case "id": return run.id
                case "user": return run.createdBy
                case "experimentId": return run.experimentId
                default: return nil
                }
            }
        }
    }

    static let maxPattern = 500

    /// What the store is asked (our filter's store form), nil for no filter.
    let storeFilter: JSONValue?
    /// What is checked on the runs the store finds.
    let patterns: [Pattern]

    init(_ text: String) throws {
        var ours: [String] = []
        var stored: [JSONValue] = []
        var patterns: [Pattern] = []
        for clause in Self.clauses(text) {
            guard let like = try Self.like(clause) else {
                ours.append(clause)
                continue
            }
            let path = try RunFilterTranslation.documentPath(like.field)
            guard like.field.kind != .metric else {
                throw APIError.invalidField("filter", "LIKE and ILIKE compare text: params, tags and attributes")
            }
            let wildcards = like.pattern.contains { $0 == "%" || $0 == "_" }
            if !like.caseInsensitive, !wildcards {
                stored.append([path: .string(like.pattern)])
            } else if !like.caseInsensitive, like.pattern.hasSuffix("%"),
                !like.pattern.dropLast().contains(where: { $0 == "%" || $0 == "_" })
            {
                let prefix = String(like.pattern.dropLast())
                // Every text starting with `prefix` sorts from it to it followed by the last code point.
                stored.append([path: ["$gte": .string(prefix), "$lt": .string(prefix + "\u{10FFFF}")]])
            } else {
                patterns.append(like)
            }
        }
        let rest = ours.joined(separator: " and ")
        do {
            if let expression = try RunFilterParser.parse(rest) {
                stored.append(try RunFilterTranslation.filter(expression))
            }
        } catch let error as RunFilterSyntaxError {
            throw APIError.invalidField("filter", "invalid filter '\(text)': \(error.message)")
        }
        // No ternary with `nil` here: beside a JSONValue, `nil` reads as its `null`, a filter of null.
        switch stored.count {
        case 0: storeFilter = nil
        case 1: storeFilter = stored[0]
        default: storeFilter = ["$and": .array(stored)]
        }
        self.patterns = patterns
    }

    /// The filter cut at each AND outside quotes and parentheses (our grammar's OR and
    /// parentheses stay whole inside their clause).
    static func clauses(_ text: String) -> [String] {
        let chars = Array(text)
        var clauses: [String] = []
        var current = ""
        var quote: Character?
        var depth = 0
        var index = 0
        while index < chars.count {
            let c = chars[index]
            if let open = quote {
                current.append(c)
                if c == "\\", index + 1 < chars.count {
                    current.append(chars[index + 1])
                    index += 1
                } else if c == open {
                    quote = nil
                }
            } else if "'\"`".contains(c) {
                quote = c
                current.append(c)
            } else if c == "(" || c == ")" {
                depth += c == "(" ? 1 : -1
                current.append(c)
            } else if depth == 0, c.isWhitespace, Self.isAnd(chars, at: index + 1) {
                clauses.append(current)
                current = ""
                index += 4
                continue
            } else {
                current.append(c)
            }
            index += 1
        }
        clauses.append(current)
        return clauses.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `and` at `index`, followed by whitespace (or a parenthesis).
    private static func isAnd(_ chars: [Character], at index: Int) -> Bool {
        guard index + 3 < chars.count, String(chars[index..<(index + 3)]).lowercased() == "and" else { return false }
        return chars[index + 3].isWhitespace || chars[index + 3] == "("
    }

    /// `<field> LIKE '<pattern>'` or ILIKE; nil for any other clause (a clause MLflow's grammar
    /// does not read, e.g. our `or` or a malformed LIKE, is left to our parser, which answers 400).
    private static func like(_ clause: String) throws -> Pattern? {
        guard clause.range(of: "like", options: .caseInsensitive) != nil,
            let comparisons = try? MLflowFilterParser.clauses(clause), comparisons.count == 1,
            let like = comparisons.first, like.op == .like || like.op == .ilike,
            case .string(let pattern) = like.value
        else { return nil }
        // Matching costs the pattern's length times the text's, for every run read.
        guard pattern.count <= maxPattern else {
            throw APIError.invalidField("filter", "a LIKE pattern has at most \(maxPattern) characters")
        }
        do {
            return Pattern(
                field: try RunFilterParser.parseField(like.field.text), pattern: pattern,
                caseInsensitive: like.op == .ilike)
        } catch {
            throw APIError.invalidField("filter", "invalid field in '\(clause)': \(error.message)")
        }
    }
}
