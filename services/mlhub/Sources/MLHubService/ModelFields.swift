import Foundation
import Platform

/// The checks and shapes of what clients send the hub; a bad field is 400 naming it.
enum ModelFields {
    static let stages = ["none", "staging", "production", "archived"]

    /// Model names as hubs spell them (`resnet-50`, `bert_base.v2`): unique per project, case-insensitively.
    static func name(_ text: String?, field: String = "name") throws -> String {
        guard let text, ModelName.isValid(text) else { throw APIError.invalidField(field, ModelName.rule) }
        return text
    }

    static func text(_ value: String?, field: String, max: Int) throws -> String? {
        guard let value else { return nil }
        guard value.count <= max else { throw APIError.invalidField(field, "\(field) has at most \(max) characters") }
        return value
    }

    static func authors(_ values: [String]?) throws -> [String]? {
        guard let values else { return nil }
        guard values.count <= 50 else { throw APIError.invalidField("authors", "at most 50 authors") }
        for (index, author) in values.enumerated() where author.isEmpty || author.count > 200 {
            throw APIError.invalidField("authors.\(index)", "an author is 1 to 200 characters")
        }
        return values
    }

    static func stage(_ text: String?) throws -> String {
        guard let text, stages.contains(text) else {
            throw APIError.invalidField("stage", "stage is one of \(stages.joined(separator: ", "))")
        }
        return text
    }

    /// Alias names: `champion`, `candidate-2`. Not a number (versions are numbers) and not
    /// `latest` (which always means the newest version).
    static func alias(_ text: String) throws -> String {
        guard !text.isEmpty, text.count <= 64, text.allSatisfy({ $0.isLowercase || $0.isNumber || "_-".contains($0) }),
              Int(text) == nil, text != "latest" else {
            throw APIError.invalidField("alias", "an alias is 1 to 64 of a-z, 0-9, _ and -, not a number and not \"latest\"")
        }
        return text
    }

    /// Metrics of a version: finite numbers by key.
    static func metrics(_ value: [String: JSONValue]?) throws -> [String: JSONValue] {
        guard let value else { return [:] }
        guard value.count <= 200 else { throw APIError.invalidField("metrics", "at most 200 metrics") }
        for (key, metric) in value {
            guard !key.isEmpty, key.count <= 250, !key.contains("."), !key.hasPrefix("$") else {
                throw APIError.invalidField("metrics.\(key)", "a metric key is 1 to 250 characters without . or a leading $")
            }
            guard let number = metric.numberValue, number.isFinite else { throw APIError.invalidField("metrics.\(key)", "a metric is a number") }
        }
        return value
    }

    static func id(_ text: String?, field: String) throws -> String? {
        guard let text else { return nil }
        guard ID.isValid(text) else { throw APIError.invalidField(field, "\(field) is an id") }
        return text
    }
}
