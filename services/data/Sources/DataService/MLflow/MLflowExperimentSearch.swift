import Foundation
import Platform

/// MLflow's SearchExperiments over one project's experiments. A project holds tens or hundreds
/// of experiments, not millions of runs, so the filter is applied here to the project's list
/// (one indexed read) rather than compiled for the store. The grammar is MLflow's: comparisons
/// joined by AND on `name`, `tags.<key>`, `creation_time` and `last_update_time`, with
/// `= != < <= > >=` and, for text, `LIKE` and `ILIKE` (`%` any run, `_` one character).
struct MLflowExperimentSearch {
    enum Field: Equatable {
        case name, creationTime, lastUpdateTime, experimentID
        case tag(String)
    }

    struct Clause {
        let field: Field
        let op: String
        let value: JSONValue
    }

    static let maxResults = 50_000

    let lifecycle: Lifecycle?
    let clauses: [Clause]
    let order: [(field: Field, descending: Bool)]
    let limit: Int
    let offset: Int

    init(_ message: MLflowMessage) throws {
        lifecycle = try MLflowViews.lifecycle(viewType: message.fields["view_type"], field: "view_type")
        clauses = try Self.parse(try message.string("filter") ?? "")
        order = try message.strings("order_by").enumerated().map { index, clause in
            try Self.orderClause(clause, field: "order_by.\(index)")
        }
        let limit = try message.int64("max_results") ?? 1000
        guard (1...Int64(Self.maxResults)).contains(limit) else {
            throw APIError.invalidField("max_results", "max_results is from 1 to \(Self.maxResults)")
        }
        self.limit = Int(limit)
        offset = try message.string("page_token").map(MLflowPageToken.offset) ?? 0
    }

    /// One page of the project's experiments, and the token of the next when there is one.
    func run(in projectID: String, _ experiments: ExperimentDirectory) async throws -> ([Experiment], String?) {
        let all = try await experiments.experiments(
            in: projectID, lifecycle: lifecycle, limit: 100_000, after: nil)
        let matching = all.filter { experiment in clauses.allSatisfy { matches($0, experiment) } }
        let sorted = matching.sorted(by: precedes)
        let page = Array(sorted.dropFirst(offset).prefix(limit))
        let next = offset + page.count < sorted.count ? MLflowPageToken.token(offset: offset + page.count) : nil
        return (page, next)
    }

    private func matches(_ clause: Clause, _ experiment: Experiment) -> Bool {
        switch clause.field {
        case .name: return Self.compare(.string(experiment.name), clause.op, clause.value)
        case .experimentID: return Self.compare(.string(experiment.id), clause.op, clause.value)
        case .creationTime:
            return Self.compare(MLflowTime.millis(experiment.createdAt).map(JSONValue.int), clause.op, clause.value)
        case .lastUpdateTime:
            return Self.compare(
                MLflowTime.millis(experiment.updatedAt ?? experiment.createdAt).map(JSONValue.int), clause.op,
                clause.value)
        case .tag(let key):
            let value = experiment.tags?.first { $0.key == key }?.value
            // A missing tag matches nothing, as in MLflow (even `!=`).
            return value.map { Self.compare(.string($0), clause.op, clause.value) } ?? false
        }
    }

    private static func compare(_ actual: JSONValue?, _ op: String, _ expected: JSONValue) -> Bool {
        guard let actual else { return false }
        switch (actual, expected) {
        case (.string(let text), .string(let pattern)) where op == "LIKE" || op == "ILIKE":
            return MLflowLike.matches(text, pattern: pattern, caseInsensitive: op == "ILIKE")
        case (.string(let left), .string(let right)): return ordered(left, right, op)
        case (.int(let left), .int(let right)): return ordered(left, right, op)
        default: return false
        }
    }

    private static func ordered<Value: Comparable>(_ left: Value, _ right: Value, _ op: String) -> Bool {
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

    /// MLflow's default order is newest first, then by id.
    private func precedes(_ first: Experiment, _ second: Experiment) -> Bool {
        let keys = order.isEmpty ? [(field: Field.creationTime, descending: true)] : order
        for key in keys {
            let left = Self.sortValue(key.field, first)
            let right = Self.sortValue(key.field, second)
            if left == right { continue }
            let ascending = Self.less(left, right)
            return key.descending ? !ascending : ascending
        }
        return first.id < second.id
    }

    private static func sortValue(_ field: Field, _ experiment: Experiment) -> JSONValue {
        switch field {
        case .name: .string(experiment.name)
        case .experimentID: .string(experiment.id)
        case .creationTime: .int(MLflowTime.millis(experiment.createdAt) ?? 0)
        case .lastUpdateTime: .int(MLflowTime.millis(experiment.updatedAt ?? experiment.createdAt) ?? 0)
        case .tag(let key): .string(experiment.tags?.first { $0.key == key }?.value ?? "")
        }
    }

    private static func less(_ left: JSONValue, _ right: JSONValue) -> Bool {
        switch (left, right) {
        case (.string(let a), .string(let b)): a < b
        case (.int(let a), .int(let b)): a < b
        default: false
        }
    }

    // MARK: - Parsing

    static func orderClause(_ text: String, field: String) throws -> (field: Field, descending: Bool) {
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var descending = false
        if let last = words.last?.uppercased(), ["ASC", "DESC"].contains(last), words.count > 1 {
            descending = last == "DESC"
            words.removeLast()
        }
        guard words.count == 1, let parsed = try? self.field(words[0]) else {
            throw APIError.invalidField(
                field,
                "invalid order_by clause '\(text)'; order by name, creation_time, last_update_time or experiment_id")
        }
        return (parsed, descending)
    }

    private static func field(_ text: String) throws -> Field {
        var name = text
        for prefix in ["attributes.", "attribute.", "attr."] where name.lowercased().hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count))
        }
        for prefix in ["tags.", "tag."] where text.lowercased().hasPrefix(prefix) {
            return .tag(MLflowLike.unquoted(String(text.dropFirst(prefix.count))))
        }
        switch name.lowercased() {
        case "name": return .name
        case "creation_time": return .creationTime
        case "last_update_time": return .lastUpdateTime
        case "experiment_id": return .experimentID
        default: throw APIError.invalidField("filter", "unknown experiment field '\(text)'")
        }
    }

    /// `name LIKE 'a%' AND tags.team = "vision" AND creation_time > 1700000000000`.
    static func parse(_ text: String) throws -> [Clause] {
        var tokens = try MLflowFilterTokens.tokens(text)[...]
        var clauses: [Clause] = []
        while !tokens.isEmpty {
            guard case .word(let word)? = tokens.popFirst() else { throw filterError("expected a field", text) }
            let field = try field(word)
            let op: String
            switch tokens.popFirst() {
            case .symbol(let symbol)?: op = symbol == "==" ? "=" : symbol
            case .word(let word)? where ["LIKE", "ILIKE"].contains(word.uppercased()): op = word.uppercased()
            default: throw filterError("expected a comparison after \(word)", text)
            }
            let value: JSONValue
            switch (tokens.popFirst(), field) {
            case (.string(let string)?, .name), (.string(let string)?, .tag), (.string(let string)?, .experimentID):
                value = .string(string)
            case (.number(let number)?, .creationTime), (.number(let number)?, .lastUpdateTime):
                value = .int(number)
            default: throw filterError("expected a quoted string (or, for times, epoch milliseconds) after \(op)", text)
            }
            if op == "LIKE" || op == "ILIKE", value.stringValue == nil {
                throw filterError("\(op) compares text", text)
            }
            clauses.append(Clause(field: field, op: op, value: value))
            if let next = tokens.first {
                guard case .word(let keyword) = next, keyword.uppercased() == "AND" else {
                    throw filterError("expected AND between comparisons", text)
                }
                tokens.removeFirst()
                if tokens.isEmpty { throw filterError("expected a comparison after AND", text) }
            }
        }
        return clauses
    }

    private static func filterError(_ message: String, _ text: String) -> APIError {
        APIError.invalidField("filter", "invalid filter '\(text)': \(message)")
    }
}
