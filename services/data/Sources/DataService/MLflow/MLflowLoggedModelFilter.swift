import MLflowFilter
import Platform

/// The filters `search_logged_models` takes, MLflow's subset of SQL: comparisons joined by
/// `AND`, e.g. `name = 'classifier' AND params.alpha = '0.5' AND creation_timestamp > 1700000000000`.
/// Fields: `name`, `model_id`, `model_type`, `status`, `source_run_id`, `creation_timestamp`,
/// `last_updated_timestamp`, `params.<key>`, `tags.<key>` (keys with other characters in
/// backquotes), `metrics.<key>` (none kept here, so never true); operators
/// `= != < <= > >= LIKE ILIKE IN` (`%` and `_` wildcards). Text that spells a number compares
/// with a number as that number.
struct MLflowLoggedModelFilter {
    static let attributes: Set<String> = [
        "name", "model_id", "model_type", "status", "source_run_id", "creation_timestamp", "last_updated_timestamp",
    ]
    /// MLflow's statuses read `READY` as well as `LOGGED_MODEL_READY`: both sides are compared without it.
    static let statusPrefix = "LOGGED_MODEL_"

    let comparisons: [MLflowFilterClause]

    /// An empty or absent filter matches every model; a malformed one is a 400 naming `filter`.
    init(_ text: String?) throws {
        do throws(MLflowFilterError) {
            var comparisons: [MLflowFilterClause] = []
            for comparison in try MLflowFilterParser.clauses(text ?? "") {
                let field = comparison.field
                guard field.entity != .attribute || Self.attributes.contains(field.key) else {
                    throw MLflowFilterError("unknown field \(field.text)", at: field.position)
                }
                let isStatus = field.entity == .attribute && field.key == "status"
                comparisons.append(isStatus ? Self.withoutStatusPrefix(comparison) : comparison)
            }
            self.comparisons = comparisons
        } catch {
            throw error.apiError
        }
    }

    func matches(_ model: MLflowLoggedModel) -> Bool {
        comparisons.allSatisfy { comparison in comparison.holds(Self.value(of: comparison.field, in: model)) }
    }

    private static func value(of field: MLflowFilterField, in model: MLflowLoggedModel) -> MLflowFilterValue? {
        switch field.entity {
        case .param: return model.params.first { $0.key == field.key }.map { MLflowFilterValue.string($0.value) }
        case .tag: return model.tags.first { $0.key == field.key }.map { MLflowFilterValue.string($0.value) }
        case .metric: return nil  // metrics of logged models are not kept here
        case .attribute:
            switch field.key {
            case "name": return .string(model.name)
            case "model_id": return .string(model.id)
            case "model_type": return model.modelType.map(MLflowFilterValue.string)
            case "status": return .string(withoutStatusPrefix(model.status.rawValue))
            case "source_run_id": return model.sourceRunId.map(MLflowFilterValue.string)
            case "creation_timestamp": return .number(Double(model.creationTimestampMs))
            case "last_updated_timestamp": return .number(Double(model.lastUpdatedTimestampMs))
            default: return nil
            }
        }
    }

    private static func withoutStatusPrefix(_ comparison: MLflowFilterClause) -> MLflowFilterClause {
        let values = comparison.value.elements.map { value in
            if case .string(let text) = value { return MLflowFilterValue.string(withoutStatusPrefix(text)) }
            return value
        }
        return MLflowFilterClause(
            field: comparison.field, op: comparison.op, value: comparison.op == .in ? .list(values) : values[0],
            valuePosition: comparison.valuePosition)
    }

    private static func withoutStatusPrefix(_ status: String) -> String {
        status.hasPrefix(statusPrefix) ? String(status.dropFirst(statusPrefix.count)) : status
    }
}
