import Foundation
import Hummingbird
import NIOCore

/// Turns whatever a handler threw into an `APIError`, so no route can leak another shape.
enum ErrorMapping {
    static func apiError(for error: any Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let error as any APIErrorConvertible:
            return error.apiError
        case let error as DecodingError:
            return DecodingErrorMapping.apiError(for: error)
        case let error as HTTPError:
            return mapHummingbirdError(error)
        case is NIOTooManyBytesError:
            // A body collected elsewhere than `decodeJSON` (e.g. `collect(upTo:)`) that grew too large.
            return APIError(.contentTooLarge, code: "payload_too_large", message: "request body exceeds the limit")
        default:
            return nil
        }
    }

    /// Hummingbird's own errors (unmatched route, body too large, bad parameters) in our shape.
    private static func mapHummingbirdError(_ error: HTTPError) -> APIError {
        let message = error.body ?? error.status.reasonPhrase
        switch error.status {
        // Hummingbird throws this only when no route matched: a distinct code lets clients and
        // tests tell "no such endpoint" from "no such entity".
        case .notFound:
            return APIError(.notFound, code: "route_not_found", message: "no route for this method and path")
        case .methodNotAllowed: return APIError(.methodNotAllowed, code: "method_not_allowed", message: message)
        case .contentTooLarge: return APIError(.contentTooLarge, code: "payload_too_large", message: message)
        case .unauthorized: return .unauthorized(message)
        case .forbidden: return .forbidden(message)
        default:
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            return APIError(error.status, code: code, message: message)
        }
    }
}

/// Decoding failures become 400s naming the dotted path of the field at fault.
enum DecodingErrorMapping {
    static func apiError(for error: DecodingError) -> APIError {
        switch error {
        case .typeMismatch(let type, let context):
            return .badRequest("expected \(typeName(type))", code: "invalid_type", field: path(context.codingPath))
        case .valueNotFound(let type, let context):
            return .badRequest(
                "expected \(typeName(type)), found null", code: "missing_field", field: path(context.codingPath))
        case .keyNotFound(let key, let context):
            return .badRequest(
                "required field is missing", code: "missing_field", field: path(context.codingPath + [key]))
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .badRequest("request body is not valid JSON", code: "malformed_json")
            }
            return .badRequest(context.debugDescription, code: "invalid_value", field: path(context.codingPath))
        @unknown default:
            return .badRequest("request body could not be decoded", code: "malformed_json")
        }
    }

    /// `resources.memoryMB`, `tags.1`; nil for the document itself.
    static func path(_ codingPath: [any CodingKey]) -> String? {
        guard !codingPath.isEmpty else { return nil }
        return codingPath.map { key in key.intValue.map(String.init) ?? key.stringValue }.joined(separator: ".")
    }

    private static func typeName(_ type: Any.Type) -> String {
        return switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default: describe(String(describing: type))
        }
    }

    private static func describe(_ name: String) -> String {
        if name.hasPrefix("Array") { return "an array" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return name
    }
}

extension APIError {
    /// A decoding failure as the 400 a request body would get, naming the field at fault: for
    /// JSON read from elsewhere (files read at start) that must report in the same terms.
    public init(decoding error: DecodingError) {
        self = DecodingErrorMapping.apiError(for: error)
    }
}
