import Platform

/// A model's typed parameters: the subset of JSON Schema a form can render — an object whose
/// properties are strings, numbers, integers or booleans, each with an optional `enum`,
/// `default`, `minimum`/`maximum` (numbers), `minLength`/`maxLength` (strings), `title` and
/// `description`, and a `required` list. Ingest checks a card's schema with it; mlhub checks
/// deploy parameters against it. Problems name their field (`parameters.properties.lr.type`
/// for a schema, `parameters.lr` for a value).
public struct ParameterSchema: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case string, number, integer, boolean
    }

    public struct Property: Sendable, Equatable {
        public let name: String
        public let kind: Kind
        public let choices: [JSONValue]?
        public let defaultValue: JSONValue?
        public let minimum: Double?
        public let maximum: Double?
        public let minLength: Int?
        public let maxLength: Int?
    }

    public let properties: [Property]
    public let required: [String]

    /// A problem, with the dotted field it concerns.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let field: String
        public let message: String
        public var description: String { "\(field): \(message)" }
    }

    /// Every problem of a schema.
    public struct Problems: Error, Sendable, Equatable {
        public let list: [Problem]
    }

    static let propertyKeys: Set<String> = [
        "type", "enum", "default", "minimum", "maximum", "minLength", "maxLength", "title", "description",
    ]

    /// Reads `schema` (at `field` in its document); every problem found, not just the first.
    public static func parse(_ schema: JSONValue, field: String = "parameters") -> Result<ParameterSchema, Problems> {
        var problems: [Problem] = []
        guard case .object(let members) = schema else {
            return .failure(Problems(list: [Problem(field: field, message: "a parameter schema is a JSON object")]))
        }
        for key in members.keys
        where !["type", "properties", "required", "title", "description", "additionalProperties"].contains(key) {
            problems.append(
                Problem(
                    field: "\(field).\(key)",
                    message: "not part of the parameter schema subset (type, properties, required, title, description)")
            )
        }
        if let type = members["type"], type != "object" {
            problems.append(Problem(field: "\(field).type", message: "the schema's type is \"object\""))
        }
        var properties: [Property] = []
        let declared = members["properties"]?.objectValue ?? [:]
        if members["properties"] != nil, members["properties"]?.objectValue == nil {
            problems.append(
                Problem(field: "\(field).properties", message: "properties is an object of parameter definitions"))
        }
        for (name, definition) in declared.sorted(by: { $0.key < $1.key }) {
            let at = "\(field).properties.\(name)"
            switch property(name, definition, at: at) {
            case .success(let property): properties.append(property)
            case .failure(let found): problems += found.list
            }
        }
        var required: [String] = []
        if let list = members["required"] {
            let names = list.arrayValue?.compactMap(\.stringValue) ?? []
            if names.count != list.arrayValue?.count ?? -1 {
                problems.append(Problem(field: "\(field).required", message: "required is an array of property names"))
            }
            for (index, name) in names.enumerated() where declared[name] == nil {
                problems.append(
                    Problem(field: "\(field).required.\(index)", message: "\(name) is not a declared property"))
            }
            required = names
        }
        return problems.isEmpty
            ? .success(ParameterSchema(properties: properties, required: required)) : .failure(Problems(list: problems))
    }

    private static func property(_ name: String, _ definition: JSONValue, at: String) -> Result<Property, Problems> {
        var problems: [Problem] = []
        guard !name.isEmpty, name.count <= 100,
            name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
        else {
            return .failure(
                Problems(list: [Problem(field: at, message: "a parameter name is 1 to 100 letters, digits, _ or -")]))
        }
        guard case .object(let members) = definition else {
            return .failure(Problems(list: [Problem(field: at, message: "a parameter is defined by an object")]))
        }
        for key in members.keys where !propertyKeys.contains(key) {
            problems.append(
                Problem(
                    field: "\(at).\(key)",
                    message: "not supported here (\(propertyKeys.sorted().joined(separator: ", ")))"))
        }
        guard let kind = members["type"]?.stringValue.flatMap(Kind.init(rawValue:)) else {
            return .failure(
                Problems(
                    list: problems + [
                        Problem(
                            field: "\(at).type",
                            message: "type is one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                    ]))
        }
        func number(_ key: String) -> Double? {
            guard let value = members[key] else { return nil }
            guard let number = value.numberValue, number.isFinite else {
                problems.append(Problem(field: "\(at).\(key)", message: "\(key) is a number"))
                return nil
            }
            if kind != .number && kind != .integer {
                problems.append(Problem(field: "\(at).\(key)", message: "\(key) applies to numbers"))
            }
            return number
        }
        func length(_ key: String) -> Int? {
            guard let value = members[key] else { return nil }
            guard let count = value.intValue, count >= 0 else {
                problems.append(Problem(field: "\(at).\(key)", message: "\(key) is a non-negative integer"))
                return nil
            }
            if kind != .string { problems.append(Problem(field: "\(at).\(key)", message: "\(key) applies to strings")) }
            return Int(count)
        }
        let minimum = number("minimum")
        let maximum = number("maximum")
        let minLength = length("minLength")
        let maxLength = length("maxLength")
        if let minimum, let maximum, minimum > maximum {
            problems.append(Problem(field: "\(at).minimum", message: "minimum is above maximum"))
        }
        var choices: [JSONValue]?
        if let list = members["enum"] {
            guard let values = list.arrayValue, !values.isEmpty else {
                return .failure(
                    Problems(list: problems + [Problem(field: "\(at).enum", message: "enum is a non-empty array")]))
            }
            choices = values
        }
        var property = Property(
            name: name, kind: kind, choices: choices, defaultValue: nil, minimum: minimum, maximum: maximum,
            minLength: minLength, maxLength: maxLength)
        if let choices {
            for (index, choice) in choices.enumerated() {
                if let problem = property.check(choice, field: "\(at).enum.\(index)", checkChoices: false) {
                    problems.append(problem)
                }
            }
        }
        if let value = members["default"] {
            if let problem = property.check(value, field: "\(at).default") { problems.append(problem) }
            property = Property(
                name: name, kind: kind, choices: choices, defaultValue: value, minimum: minimum, maximum: maximum,
                minLength: minLength, maxLength: maxLength)
        }
        return problems.isEmpty ? .success(property) : .failure(Problems(list: problems))
    }

    /// The parameters to run with: `given` checked against the schema, defaults filled in.
    /// Throws the first problem (`parameters.<name>`); unknown names are problems too.
    public func validate(_ given: [String: JSONValue], field: String = "parameters") throws -> [String: JSONValue] {
        let known = Dictionary(uniqueKeysWithValues: properties.map { ($0.name, $0) })
        for name in given.keys.sorted() where known[name] == nil {
            throw Problem(
                field: "\(field).\(name)",
                message: "no such parameter; known: \(properties.map(\.name).joined(separator: ", "))")
        }
        var values: [String: JSONValue] = [:]
        for property in properties {
            if let value = given[property.name], value != .null {
                if let problem = property.check(value, field: "\(field).\(property.name)") { throw problem }
                values[property.name] =
                    property.kind == .number ? (value.numberValue.map(JSONValue.double) ?? value) : value
            } else if let value = property.defaultValue {
                values[property.name] = value
            } else if required.contains(property.name) {
                throw Problem(field: "\(field).\(property.name)", message: "required")
            }
        }
        return values
    }

    /// The schema as JSON again (what a form renders).
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        for property in properties {
            var definition: [String: JSONValue] = ["type": .string(property.kind.rawValue)]
            if let choices = property.choices { definition["enum"] = .array(choices) }
            if let value = property.defaultValue { definition["default"] = value }
            if let minimum = property.minimum { definition["minimum"] = .double(minimum) }
            if let maximum = property.maximum { definition["maximum"] = .double(maximum) }
            if let minLength = property.minLength { definition["minLength"] = .int(Int64(minLength)) }
            if let maxLength = property.maxLength { definition["maxLength"] = .int(Int64(maxLength)) }
            members[property.name] = .object(definition)
        }
        return ["type": "object", "properties": .object(members), "required": .array(required.map(JSONValue.string))]
    }
}

extension ParameterSchema.Property {
    /// The problem with `value` for this parameter, if any.
    func check(_ value: JSONValue, field: String, checkChoices: Bool = true) -> ParameterSchema.Problem? {
        func problem(_ message: String) -> ParameterSchema.Problem {
            ParameterSchema.Problem(field: field, message: message)
        }
        switch (kind, value) {
        case (.string, .string(let text)):
            if let minLength, text.count < minLength { return problem("at least \(minLength) characters") }
            if let maxLength, text.count > maxLength { return problem("at most \(maxLength) characters") }
        case (.integer, .int), (.number, .int), (.number, .double):
            let number = value.numberValue ?? 0
            if let minimum, number < minimum { return problem("at least \(Self.text(minimum))") }
            if let maximum, number > maximum { return problem("at most \(Self.text(maximum))") }
        case (.integer, .double(let number)) where number == number.rounded() && abs(number) < 1e15:
            if let minimum, number < minimum { return problem("at least \(Self.text(minimum))") }
            if let maximum, number > maximum { return problem("at most \(Self.text(maximum))") }
        case (.boolean, .bool):
            break
        default:
            return problem("a value of type \(kind.rawValue)")
        }
        if checkChoices, let choices,
            !choices.contains(where: { $0 == value || ($0.numberValue != nil && $0.numberValue == value.numberValue) })
        {
            return problem("one of \(choices.map(\.jsonText).joined(separator: ", "))")
        }
        return nil
    }

    static func text(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
