import Foundation

extension MLflowFilterClause {
    /// Whether a record whose field holds `actual` satisfies this comparison. An absent value
    /// (nil) satisfies none, not even `!=`, as in MLflow (its SQL joins drop the record).
    public func holds(_ actual: MLflowFilterValue?) -> Bool {
        guard let actual else { return false }
        switch op {
        case .like, .ilike:
            guard case .string(let pattern) = value, let text = actual.text else { return false }
            return MLflowLike.matches(text, pattern: pattern, caseInsensitive: op == .ilike)
        case .in:
            return value.elements.contains { MLflowFilterValue.order(actual, $0) == .orderedSame }
        default:
            guard let order = MLflowFilterValue.order(actual, value) else { return false }
            switch op {
            case .equal: return order == .orderedSame
            case .notEqual: return order != .orderedSame
            case .less: return order == .orderedAscending
            case .lessOrEqual: return order != .orderedDescending
            case .greater: return order == .orderedDescending
            default: return order != .orderedAscending
            }
        }
    }
}

extension MLflowFilterValue {
    /// How `left` compares with `right`: text as text, numbers as numbers, and text against a
    /// number as the number it spells (a param `'0.5'` against `0.5`); nil when they cannot be
    /// compared (text that is no number against a number, or a list).
    public static func order(_ left: MLflowFilterValue, _ right: MLflowFilterValue) -> ComparisonResult? {
        switch (left, right) {
        case (.string(let a), .string(let b)): return compare(a, b)
        case (.number(let a), .number(let b)): return compare(a, b)
        case (.string(let a), .number(let b)): return Double(a).map { compare($0, b) }
        case (.number(let a), .string(let b)): return Double(b).map { compare(a, $0) }
        default: return nil
        }
    }

    /// The value as text, for LIKE: a whole number without a fraction (`12`, not `12.0`).
    var text: String? {
        switch self {
        case .string(let text): return text
        case .number(let number):
            if let whole = Int64(exactly: number) { return String(whole) }
            return String(number)
        case .list: return nil
        }
    }

    private static func compare<T: Comparable>(_ a: T, _ b: T) -> ComparisonResult {
        a < b ? .orderedAscending : (a > b ? .orderedDescending : .orderedSame)
    }
}
