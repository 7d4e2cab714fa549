import Foundation
import Hummingbird
import Platform

/// One MLflow request's fields, read the way MLflow's server reads them: protobuf's JSON mapping
/// with snake_case names from a POST body, or the query string of a GET (its client sends GET
/// messages as query parameters, a repeated field as the parameter repeated). Protobuf writes an
/// int64 as a number or as a string, so both are taken. Each mistake is a 400 naming the field,
/// which MLflow's error shape reports as `INVALID_PARAMETER_VALUE`.
struct MLflowMessage {
    let fields: [String: JSONValue]

    /// The JSON body of a POST (an empty body reads as `{}`, as MLflow's server takes it).
    static func body(of request: Request, context: some RequestContext) async throws -> MLflowMessage {
        if request.headers[.contentLength] == "0" { return MLflowMessage(fields: [:]) }
        let parsed: JSONValue
        do {
            parsed = try await request.parseJSON(context: context)
        } catch let error as APIError where error.code == "malformed_json" && error.message.contains("empty") {
            return MLflowMessage(fields: [:])
        }
        guard let members = parsed.objectValue else {
            throw APIError.badRequest("the body is a JSON object", code: "INVALID_PARAMETER_VALUE")
        }
        return MLflowMessage(fields: members)
    }

    /// The query parameters of a GET: repeated names become arrays.
    static func query(of request: Request) -> MLflowMessage {
        var fields: [String: JSONValue] = [:]
        for (name, value) in request.uri.queryParameters {
            let key = String(name)
            let text = JSONValue.string(String(value))
            switch fields[key] {
            case nil: fields[key] = text
            case .array(let values)?: fields[key] = .array(values + [text])
            case let single?: fields[key] = .array([single, text])
            }
        }
        return MLflowMessage(fields: fields)
    }

    /// A string field; nil when absent or empty (protobuf's default), 400 when required.
    func string(_ name: String, required: Bool = false) throws -> String? {
        switch fields[name] {
        case nil, .null?:
            if required { throw Self.missing(name) }
            return nil
        case .string(let text)?:
            if text.isEmpty, required { throw Self.missing(name) }
            return text.isEmpty ? nil : text
        default:
            throw APIError.invalidField(name, "\(name) is a string")
        }
    }

    /// A string field that may legitimately be empty (a tag's or param's value).
    func text(_ name: String) throws -> String {
        switch fields[name] {
        case nil, .null?: return ""
        case .string(let text)?: return text
        default: throw APIError.invalidField(name, "\(name) is a string")
        }
    }

    /// An int64 written as a number or as a string of digits.
    func int64(_ name: String) throws -> Int64? {
        try Self.int64(fields[name], field: name)
    }

    static func int64(_ value: JSONValue?, field: String) throws -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .int(let number)?: return number
        case .double(let number)? where number.rounded() == number && abs(number) < 9.2e18: return Int64(number)
        case .string(let text)?:
            guard let number = Int64(text) else { throw APIError.invalidField(field, "\(field) is an integer") }
            return number
        default: throw APIError.invalidField(field, "\(field) is an integer")
        }
    }

    /// A repeated string field (a single value counts as one).
    func strings(_ name: String) throws -> [String] {
        switch fields[name] {
        case nil, .null?: return []
        case .string(let text)?: return [text]
        case .array(let values)?:
            return try values.enumerated().map { index, value in
                guard let text = value.stringValue else {
                    throw APIError.invalidField("\(name).\(index)", "\(name) holds strings")
                }
                return text
            }
        default: throw APIError.invalidField(name, "\(name) is a list of strings")
        }
    }

    /// A repeated message field: its elements as objects.
    func messages(_ name: String) throws -> [[String: JSONValue]] {
        switch fields[name] {
        case nil, .null?: return []
        case .array(let values)?:
            return try values.enumerated().map { index, value in
                guard let members = value.objectValue else {
                    throw APIError.invalidField("\(name).\(index)", "\(name) holds objects")
                }
                return members
            }
        default: throw APIError.invalidField(name, "\(name) is a list")
        }
    }

    /// The run a request names: `run_id`, or `run_uuid` as older clients send it.
    func runID() throws -> String {
        guard let id = try string("run_id") ?? string("run_uuid") else { throw Self.missing("run_id") }
        return id
    }

    static func missing(_ name: String) -> APIError {
        APIError.invalidField(name, "missing value for required parameter '\(name)'")
    }
}
