import Foundation
import Platform

/// Field checks shared by the request types (`Records/`); each failure is a 400 naming its field.
enum Validate {
    static func name(_ text: String, field: String = "name") throws -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw APIError.invalidField(field, "a name has 1–200 characters") }
        guard !name.contains(where: { $0.isNewline }) else { throw APIError.invalidField(field, "a name is one line") }
        return name
    }

    static func description(_ text: String?, field: String = "description") throws -> String {
        let description = text ?? ""
        guard description.count <= 5000 else {
            throw APIError.invalidField(field, "a description has at most 5000 characters")
        }
        return description
    }

    /// An RFC 3339 time, returned in the platform's canonical form so stored times compare as text.
    static func time(_ text: String, field: String) throws -> String {
        guard let date = Timestamp.parse(text) else {
            throw APIError.invalidField(field, "\(field) is an RFC 3339 time such as 2026-01-31T12:00:00Z")
        }
        return Timestamp.format(date)
    }

    /// A scalar for params and tags: strings, numbers and booleans, as MLflow users log them.
    static func scalar(_ value: JSONValue, field: String, maxLength: Int) throws -> JSONValue {
        switch value {
        case .string(let text):
            guard text.count <= maxLength else {
                throw APIError.invalidField(field, "a value has at most \(maxLength) characters")
            }
            return value
        case .int, .double, .bool:
            return value
        default:
            throw APIError.invalidField(field, "a value is a string, a number or a boolean")
        }
    }

    /// An optional id in a body: malformed is 400 naming the field (docs/design.md §4).
    static func id(_ text: String?, field: String) throws -> String? {
        guard let text else { return nil }
        guard ID.isValid(text) else { throw APIError.invalidField(field, "\(field) is an id") }
        return text
    }
}
