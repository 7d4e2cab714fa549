/// How a JSONValue reads after a trip through text, for the direct coders (see TextNumbers).
extension JSONValue {
    var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }

    /// The value `jsonText` writes in place of this one: JSON has no NaN or infinity.
    var asWritten: JSONValue {
        if case .double(let number) = self, !number.isFinite { return .null }
        return self
    }

    /// This value with each double replaced by `replace`'s answer. Storage is shared where
    /// nothing changes, the usual case: documents are mostly strings and integers.
    func replacingDoubles(_ replace: (Double) throws -> JSONValue) rethrows -> JSONValue {
        try replacedDoubles(replace) ?? self
    }

    /// nil when no double inside changed.
    private func replacedDoubles(_ replace: (Double) throws -> JSONValue) rethrows -> JSONValue? {
        switch self {
        case .double(let number):
            let replacement = try replace(number)
            if case .double(let same) = replacement, same.bitPattern == number.bitPattern { return nil }
            return replacement
        case .array(let elements):
            var changed = elements
            var anyChanged = false
            for index in elements.indices {
                if let replacement = try elements[index].replacedDoubles(replace) {
                    changed[index] = replacement
                    anyChanged = true
                }
            }
            return anyChanged ? .array(changed) : nil
        case .object(let members):
            var changed = members
            var anyChanged = false
            for (key, member) in members {
                if let replacement = try member.replacedDoubles(replace) {
                    changed[key] = replacement
                    anyChanged = true
                }
            }
            return anyChanged ? .object(changed) : nil
        case .null, .bool, .int, .string:
            return nil
        }
    }
}
