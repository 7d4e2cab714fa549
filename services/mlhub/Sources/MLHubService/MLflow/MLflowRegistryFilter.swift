import MLflowFilter
import Platform

/// MLflow's registry search filter (the grammar is `MLflowFilterParser`'s) in the registry's
/// terms: each clause names one of the search's attributes (`name`, `run_id`, `version_number`…)
/// or `tags.<key>`. A bad filter, or one naming anything else, is 400 naming `filter`, with the
/// 1-based column where it went wrong.
struct MLflowRegistryFilter: Sendable {
    enum Attribute: Sendable, Equatable {
        case field(String)
        case tag(String)
    }

    struct Clause: Sendable {
        let attribute: Attribute
        let comparison: MLflowFilterClause
    }

    let clauses: [Clause]

    /// `fields` are the attribute names this search knows besides `tags.<key>`.
    init(_ text: String?, fields: Set<String>) throws {
        do throws(MLflowFilterError) {
            clauses = try MLflowFilterParser.clauses(text ?? "").map { comparison throws(MLflowFilterError) -> Clause in
                let field = comparison.field
                switch field.entity {
                case .tag: return Clause(attribute: .tag(field.key), comparison: comparison)
                case .attribute where fields.contains(field.key):
                    return Clause(attribute: .field(field.key), comparison: comparison)
                default:
                    let known = fields.sorted().joined(separator: ", ")
                    throw MLflowFilterError(
                        "unknown attribute \(field.text); this search knows \(known) and tags.<key>",
                        at: field.position)
                }
            }
        } catch {
            throw APIError(
                .badRequest, code: "INVALID_PARAMETER_VALUE", message: error.description, field: "filter",
                position: error.position)
        }
    }

    /// MLflow's client adds tag.`mlflow.prompt.is_prompt` != 'true' to every registry search:
    /// prompts are models with that tag set to 'true'.
    static let promptTag = "mlflow.prompt.is_prompt"

    /// Whether every clause holds; `value` gives an attribute's value (nil: absent, which no
    /// comparison accepts, as in MLflow, except that = and != read a missing prompt tag as
    /// 'false', as MLflow does, so models that are no prompts are found).
    func matches(_ value: (Attribute) -> MLflowFilterValue?) -> Bool {
        clauses.allSatisfy { clause in
            var actual = value(clause.attribute)
            if actual == nil, clause.attribute == .tag(Self.promptTag),
                clause.comparison.op == .equal || clause.comparison.op == .notEqual
            {
                actual = .string("false")
            }
            return clause.comparison.holds(actual)
        }
    }

    /// The model name a `name = '<name>'` clause pins the search to, if there is one.
    var exactName: String? {
        for clause in clauses where clause.attribute == .field("name") && clause.comparison.op == .equal {
            if case .string(let name) = clause.comparison.value { return name }
        }
        return nil
    }
}
