import Foundation
import Hummingbird
import Platform

/// The fields of an MLflow request: MLflow's client sends a GET's message as query parameters
/// (repeated fields as repeated keys) and every other method's as a JSON body (a DELETE's too).
/// Proto3 JSON lets int64 arrive as a number or a string, so numbers are read from either.
struct MLflowInput: Sendable {
    private let fields: [String: JSONValue]

    static func read(_ request: Request, _ context: some RequestContext) async throws -> MLflowInput {
        if request.method == .get {
            var fields: [String: JSONValue] = [:]
            for (key, value) in formFields(request.uri.query ?? "") {
                if case .array(let values) = fields[key] {
                    fields[key] = .array(values + [.string(value)])
                } else if let first = fields[key] {
                    fields[key] = .array([first, .string(value)])
                } else {
                    fields[key] = .string(value)
                }
            }
            return MLflowInput(fields: fields)
        }
        let declared = request.headers[.contentLength].flatMap(Int.init)
        if declared == 0 { return MLflowInput(fields: [:]) }
        let body = try await request.parseJSON(context: context)
        guard let object = body.objectValue else {
            throw APIError.badRequest("the body is a JSON object")
        }
        return MLflowInput(fields: object)
    }

    /// The pairs of a query string as HTML forms (and Python's `requests`) encode them: `+` is
    /// a space, and only `%2B` a plus — which the router's own query decoding does not do.
    private static func formFields(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// A string field, nil when absent or empty (proto3 does not tell the two apart).
    func string(_ name: String) throws -> String? {
        switch fields[name] {
        case nil, .null: return nil
        case .string(let text): return text.isEmpty ? nil : text
        case .int(let number): return String(number)
        default: throw APIError.invalidField(name, "\(name) is a string")
        }
    }

    func requiredString(_ name: String) throws -> String {
        guard let text = try string(name) else {
            throw APIError.invalidField(name, "missing value for required parameter '\(name)'")
        }
        return text
    }

    /// A string field whose empty value means something (a description set to "").
    func text(_ name: String) throws -> String? {
        if case .string(let text) = fields[name] { return text }
        return try string(name)
    }

    func int(_ name: String) throws -> Int64? {
        switch fields[name] {
        case nil, .null: return nil
        case .int(let number): return number
        case .string(let text) where text.isEmpty: return nil
        case .string(let text):
            guard let number = Int64(text) else { throw APIError.invalidField(name, "\(name) is an integer") }
            return number
        case .double(let number) where number.rounded() == number && abs(number) < 9e15: return Int64(number)
        default: throw APIError.invalidField(name, "\(name) is an integer")
        }
    }

    func bool(_ name: String) throws -> Bool {
        switch fields[name] {
        case nil, .null: return false
        case .bool(let value): return value
        case .string("true"), .string("True"): return true
        case .string("false"), .string("False"): return false
        default: throw APIError.invalidField(name, "\(name) is true or false")
        }
    }

    /// A repeated string field (one query value or many, or a JSON array).
    func strings(_ name: String) throws -> [String] {
        switch fields[name] {
        case nil, .null: return []
        case .string(let text): return [text]
        case .array(let values):
            return try values.map { value in
                guard let text = value.stringValue else { throw APIError.invalidField(name, "\(name) are strings") }
                return text
            }
        default: throw APIError.invalidField(name, "\(name) are strings")
        }
    }

    /// MLflow's `tags: [{key, value}]`, as a dictionary (a later key wins).
    func tags(_ name: String = "tags") throws -> [String: String] {
        guard let given = fields[name], given != .null else { return [:] }
        guard let list = given.arrayValue else {
            throw APIError.invalidField(name, "\(name) is a list of {key, value}")
        }
        var tags: [String: String] = [:]
        for (index, tag) in list.enumerated() {
            guard let key = tag["key"]?.stringValue, !key.isEmpty else {
                throw APIError.invalidField("\(name).\(index).key", "a tag has a key")
            }
            tags[key] = try MLflowInput.tagValue(tag["value"], field: "\(name).\(index).value")
        }
        try Self.check(tags)
        return tags
    }

    /// The `{key, value}` of set-tag.
    func tag() throws -> (key: String, value: String) {
        let key = try requiredString("key")
        let value = try Self.tagValue(fields["value"], field: "value")
        try Self.check([key: value])
        return (key, value)
    }

    private static func tagValue(_ value: JSONValue?, field: String) throws -> String {
        switch value {
        case nil, .null: return ""
        case .string(let text): return text
        default: throw APIError.invalidField(field, "a tag's value is a string")
        }
    }

    /// MLflow's own limits: keys up to 250 characters, values up to 5000.
    private static func check(_ tags: [String: String]) throws {
        for (key, value) in tags {
            guard key.count <= 250 else {
                throw APIError.invalidField("key", "a tag key is 1 to 250 characters")
            }
            guard value.count <= 5000 else {
                throw APIError.invalidField("value", "a tag value is at most 5000 characters")
            }
        }
        guard tags.count <= 1000 else { throw APIError.invalidField("tags", "at most 1000 tags") }
    }
}
