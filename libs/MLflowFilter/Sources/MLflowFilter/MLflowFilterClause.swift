/// One comparison of an MLflow search filter: `<field> <operator> <value>`, e.g.
/// `tags.team = 'vision'`, `creation_time > 1700000000000`, `run_id IN ('a', 'b')`.
/// What a field means, and whether it exists, is the caller's to say.
public struct MLflowFilterClause: Sendable, Equatable {
    public let field: MLflowFilterField
    public let op: MLflowFilterOperator
    public let value: MLflowFilterValue
    /// 1-based column where the value starts, for a caller that rejects it.
    public let valuePosition: Int

    public init(field: MLflowFilterField, op: MLflowFilterOperator, value: MLflowFilterValue, valuePosition: Int) {
        self.field = field
        self.op = op
        self.value = value
        self.valuePosition = valuePosition
    }
}

/// The left side of a comparison: `name`, `attributes.name`, `tags.<key>`, params.`my key`.
public struct MLflowFilterField: Sendable, Equatable {
    public enum Entity: String, Sendable {
        case attribute, tag, param, metric
    }

    public let entity: Entity
    /// An attribute's name in lower case (`attributes.` dropped), or the tag's, param's or
    /// metric's key as written, without its quotes.
    public let key: String
    /// The field as written (prefix and quotes kept), for a caller with a field parser of its own.
    public let text: String
    /// 1-based column where the field starts.
    public let position: Int

    public init(entity: Entity, key: String, text: String, position: Int) {
        self.entity = entity
        self.key = key
        self.text = text
        self.position = position
    }
}

public enum MLflowFilterOperator: String, Sendable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case like = "LIKE"
    case ilike = "ILIKE"
    case `in` = "IN"
}

/// A value written in a filter, or a record's value it is compared with.
public enum MLflowFilterValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    /// The right side of `IN`: `('a', 'b')`.
    case list([MLflowFilterValue])

    /// A list's items, any other value alone: what a caller checks the type of.
    public var elements: [MLflowFilterValue] {
        if case .list(let items) = self { return items }
        return [self]
    }
}
