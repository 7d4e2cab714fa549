import Foundation
import MLflowFilter
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

    /// A comparison of the filter and the experiment field it names.
    struct Clause {
        let field: Field
        let comparison: MLflowFilterClause
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
        clause.comparison.holds(Self.value(of: clause.field, in: experiment))
    }

    /// The field's value, nil when the experiment has none: a missing tag matches nothing, as in
    /// MLflow (even `!=`).
    private static func value(of field: Field, in experiment: Experiment) -> MLflowFilterValue? {
        switch field {
        case .name: .string(experiment.name)
        case .experimentID: .string(experiment.id)
        case .creationTime: MLflowTime.millis(experiment.createdAt).map { MLflowFilterValue.number(Double($0)) }
        case .lastUpdateTime:
            MLflowTime.millis(experiment.updatedAt ?? experiment.createdAt).map { MLflowFilterValue.number(Double($0)) }
        case .tag(let key): experiment.tags?.first { $0.key == key }.map { MLflowFilterValue.string($0.value) }
        }
    }

    /// MLflow's default order is newest first, then by id; a missing value sorts as "" or 0.
    private func precedes(_ first: Experiment, _ second: Experiment) -> Bool {
        let keys = order.isEmpty ? [(field: Field.creationTime, descending: true)] : order
        for key in keys {
            let missing: MLflowFilterValue = Self.isTime(key.field) ? .number(0) : .string("")
            let left = Self.value(of: key.field, in: first) ?? missing
            let right = Self.value(of: key.field, in: second) ?? missing
            guard let result = MLflowFilterValue.order(left, right), result != .orderedSame else { continue }
            return (result == .orderedAscending) != key.descending
        }
        return first.id < second.id
    }

    private static func isTime(_ field: Field) -> Bool { field == .creationTime || field == .lastUpdateTime }

    // MARK: - Parsing

    static func orderClause(_ text: String, field: String) throws -> (field: Field, descending: Bool) {
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var descending = false
        if let last = words.last?.uppercased(), ["ASC", "DESC"].contains(last), words.count > 1 {
            descending = last == "DESC"
            words.removeLast()
        }
        guard words.count == 1, let parsed = try? Self.field(MLflowFilterParser.field(words[0])) else {
            throw APIError.invalidField(
                field,
                "invalid order_by clause '\(text)'; order by name, creation_time, last_update_time or experiment_id")
        }
        return (parsed, descending)
    }

    private static func field(_ field: MLflowFilterField) throws(MLflowFilterError) -> Field {
        switch (field.entity, field.key) {
        case (.tag, let key): return .tag(key)
        case (.attribute, "name"): return .name
        case (.attribute, "creation_time"): return .creationTime
        case (.attribute, "last_update_time"): return .lastUpdateTime
        case (.attribute, "experiment_id"): return .experimentID
        default: throw MLflowFilterError("unknown experiment field '\(field.text)'", at: field.position)
        }
    }

    /// `name LIKE 'a%' AND tags.team = "vision" AND creation_time > 1700000000000`: names and
    /// tags compare with quoted strings, times with epoch milliseconds.
    static func parse(_ text: String) throws -> [Clause] {
        do throws(MLflowFilterError) {
            var clauses: [Clause] = []
            for comparison in try MLflowFilterParser.clauses(text) {
                let field = try Self.field(comparison.field)
                for value in comparison.value.elements {
                    switch value {
                    case .number where isTime(field), .string where !isTime(field): continue
                    default:
                        let expected = isTime(field) ? "epoch milliseconds" : "a quoted string"
                        throw MLflowFilterError(
                            "\(comparison.field.text) compares with \(expected)", at: comparison.valuePosition)
                    }
                }
                clauses.append(Clause(field: field, comparison: comparison))
            }
            return clauses
        } catch {
            throw error.apiError
        }
    }
}
