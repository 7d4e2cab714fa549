import Platform

/// Applies `$set`, `$unset`, `$inc` and `$push` to a document, in memory, for backends without
/// native update operators. `id` cannot be changed.
/// An update checked once for every backend: `$set`, `$unset`, `$inc` (numbers only) and
/// `$push` on valid field paths, never `id`.
package struct Update {
    package enum Operator: String {
        case set = "$set"
        case unset = "$unset"
        case inc = "$inc"
        case push = "$push"
    }

    package let assignments: [(op: Operator, path: FieldPath, operand: JSONValue)]

    package init(parsing update: JSONValue) throws {
        guard case .object(let operators) = update, !operators.isEmpty else {
            throw StoreError(.invalidUpdate, "an update is an object of $set/$unset/$inc/$push")
        }
        var assignments: [(Operator, FieldPath, JSONValue)] = []
        for (name, fields) in operators.sorted(by: { $0.key < $1.key }) {
            guard let op = Operator(rawValue: name) else {
                throw StoreError(.invalidUpdate, "unknown update operator \(name)", field: name)
            }
            guard case .object(let members) = fields, !members.isEmpty else {
                throw StoreError(.invalidUpdate, "\(name) takes an object of field paths", field: name)
            }
            for (dotted, operand) in members.sorted(by: { $0.key < $1.key }) {
                let path = try FieldPath(dotted)
                if path.components.first == "id" { throw StoreError(.invalidUpdate, "id cannot change", field: dotted) }
                if op == .inc, !operand.isNumber {
                    throw StoreError(.invalidUpdate, "$inc needs numbers", field: dotted)
                }
                assignments.append((op, path, operand))
            }
        }
        self.assignments = assignments
    }
}

extension JSONValue {
    var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }
}

/// Applies an `Update` to a document, in memory, for backends without native update operators.
package enum UpdateApplier {
    package static func apply(_ update: JSONValue, to document: JSONValue) throws -> JSONValue {
        var result = document
        for (op, path, operand) in try Update(parsing: update).assignments {
            let dotted = path.dotted
            switch op {
            case .set:
                result = try set(result, path.components[...], operand, dotted)
            case .unset:
                result = try set(result, path.components[...], nil, dotted)
            case .inc:
                let current = result.value(at: path) ?? .int(0)
                result = try set(result, path.components[...], try add(current, operand, dotted), dotted)
            case .push:
                var elements: [JSONValue]
                switch result.value(at: path) {
                case nil, .null?: elements = []
                case .array(let existing)?: elements = existing
                default: throw StoreError(.invalidUpdate, "$push needs an array field", field: dotted)
                }
                elements.append(operand)
                result = try set(result, path.components[...], .array(elements), dotted)
            }
        }
        return result
    }

    /// Sets (or with nil removes) the value at `components`, creating objects on the way.
    private static func set(
        _ node: JSONValue, _ components: ArraySlice<String>, _ value: JSONValue?, _ dotted: String
    ) throws -> JSONValue {
        guard let head = components.first else { return value ?? .null }
        var members: [String: JSONValue]
        switch node {
        case .object(let existing): members = existing
        case .null: members = [:]
        default: throw StoreError(.invalidUpdate, "\(head) is inside a value that is not an object", field: dotted)
        }
        if components.count == 1 {
            members[head] = value
        } else {
            if value == nil && members[head] == nil { return .object(members) }
            members[head] = try set(members[head] ?? .null, components.dropFirst(), value, dotted)
        }
        return .object(members)
    }

    private static func add(_ current: JSONValue, _ delta: JSONValue, _ dotted: String) throws -> JSONValue {
        switch (current, delta) {
        case (.int(let a), .int(let b)): return .int(a &+ b)
        case (.int(let a), .double(let b)): return .double(Double(a) + b)
        case (.double(let a), .int(let b)): return .double(a + Double(b))
        case (.double(let a), .double(let b)): return .double(a + b)
        default: throw StoreError(.invalidUpdate, "$inc needs numbers", field: dotted)
        }
    }
}
