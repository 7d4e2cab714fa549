import Foundation
import Hummingbird
import NIOCore

/// The one error shape every service answers with (docs/design.md §4):
/// `{"error": {"code": "snake_case", "message": "…", "field": "a.b", "position": 17}}`.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Dotted path of the offending input field, when one is to blame.
    public let field: String?
    /// 1-based column inside a query string, for query parse errors.
    public let position: Int?
    /// Sent as the `Retry-After` header (RFC 9110 §10.2.3) of a 429 or 503, not in the body.
    public var retryAfterSeconds: Int?

    public init(
        _ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, position: Int? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.position = position
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }

    /// The JSON response, usable outside a request (gateway fallbacks, tests).
    public func response() -> Response {
        let body = try! JSONEncoder.api.encode(
            ErrorEnvelope(error: ErrorBody(code: code, message: message, field: field, position: position))
        )
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Domain errors adopt this to say, once and explicitly, which HTTP error they become.
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

extension APIError {
    public static func badRequest(
        _ message: String, code: String = "bad_request", field: String? = nil, position: Int? = nil
    ) -> APIError {
        APIError(.badRequest, code: code, message: message, field: field, position: position)
    }
    public static func invalidField(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_field", message: message, field: field)
    }
    public static func unauthorized(_ message: String = "a valid token is required") -> APIError {
        APIError(.unauthorized, code: "unauthorized", message: message)
    }
    public static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }
    public static func notFound(_ message: String, field: String? = nil) -> APIError {
        APIError(.notFound, code: "not_found", message: message, field: field)
    }
    public static func conflict(_ message: String, code: String = "conflict", field: String? = nil) -> APIError {
        APIError(.conflict, code: code, message: message, field: field)
    }
    public static func contentTooLarge(limit: Int) -> APIError {
        APIError(
            .contentTooLarge, code: "payload_too_large", message: "request body exceeds the limit of \(limit) bytes")
    }
    public static func unprocessable(_ message: String, field: String? = nil) -> APIError {
        APIError(.unprocessableContent, code: "unprocessable", message: message, field: field)
    }
    public static func tooManyRequests(_ message: String, retryAfterSeconds: Int? = nil) -> APIError {
        var error = APIError(.tooManyRequests, code: "rate_limited", message: message)
        error.retryAfterSeconds = retryAfterSeconds
        return error
    }
    public static func unavailable(_ message: String, field: String? = nil) -> APIError {
        APIError(.serviceUnavailable, code: "unavailable", message: message, field: field)
    }
    public static let `internal` = APIError(
        .internalServerError, code: "internal_error", message: "internal error; see the service log for this request id"
    )
}
