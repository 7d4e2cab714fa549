import Foundation
import Platform

/// The checks of what clients send the hub, shared by its request types (Records/); a bad
/// field is 400 naming it.
enum ModelFields {
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

    /// Metrics of a version: finite numbers by key.
    static func metrics(_ value: [String: JSONValue]?) throws -> [String: JSONValue] {
        guard let value else { return [:] }
        guard value.count <= 200 else { throw APIError.invalidField("metrics", "at most 200 metrics") }
        for (key, metric) in value {
            try metricKey(key)
            guard let number = metric.numberValue, number.isFinite else {
                throw APIError.invalidField("metrics.\(key)", "a metric is a number")
            }
        }
        return value
    }

    /// A key a metric may have: it becomes part of a store path (`metrics.<key>`).
    static func metricKey(_ key: String) throws {
        guard !key.isEmpty, key.count <= 250, !key.contains("."), !key.hasPrefix("$") else {
            throw APIError.invalidField(
                "metrics.\(key)", "a metric key is 1 to 250 characters without . or a leading $")
        }
    }

    static func id(_ text: String, field: String) throws -> String {
        guard ID.isValid(text) else { throw APIError.invalidField(field, "\(field) is an id") }
        return text
    }

    static func id(_ text: String?, field: String) throws -> String? {
        try text.map { try id($0, field: field) }
    }
}
