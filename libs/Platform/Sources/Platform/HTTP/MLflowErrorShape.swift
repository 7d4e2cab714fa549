import Foundation
import Hummingbird
import NIOCore

/// MLflow's REST API answers errors as `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": …}`
/// and its Python client raises by `error_code`, so the MLflow-compatible routes (docs/mlflow.md)
/// answer in that shape instead of ours (docs/design.md §4 lets compatibility surfaces keep theirs).
public enum MLflowErrorShape {
    /// MLflow's routes live under `…/api/2.0/mlflow/`, `…/api/2.0/mlflow-artifacts/` and
    /// `…/api/3.0/mlflow/`, bare or behind a project prefix (`/mlflow/<project>/api/2.0/…`).
    public static func applies(to path: String) -> Bool {
        path.contains("/api/2.0/mlflow") || path.contains("/api/3.0/mlflow")
    }

    /// A handler that needs a particular MLflow code throws an `APIError` whose `code` is that
    /// code (upper case, e.g. `RESOURCE_ALREADY_EXISTS`); any other error is named by its status.
    public static func errorCode(for error: APIError) -> String {
        if !error.code.isEmpty, error.code.allSatisfy({ $0.isUppercase || $0 == "_" }) { return error.code }
        switch error.status.code {
        case 400, 413, 422: return "INVALID_PARAMETER_VALUE"
        case 401: return "UNAUTHENTICATED"
        case 403: return "PERMISSION_DENIED"
        case 404: return "RESOURCE_DOES_NOT_EXIST"
        case 409: return error.code.hasSuffix("exists") ? "RESOURCE_ALREADY_EXISTS" : "INVALID_STATE"
        case 429: return "REQUEST_LIMIT_EXCEEDED"
        case 501: return "NOT_IMPLEMENTED"
        case 502, 503: return "TEMPORARILY_UNAVAILABLE"
        default: return "INTERNAL_ERROR"
        }
    }

    /// The error in MLflow's shape, with the offending field named in the message (MLflow has no
    /// field of its own for it).
    public static func response(for error: APIError) -> Response {
        var message = error.message
        if let field = error.field, !message.contains(field) { message += " (field \(field))" }
        let body = try! JSONSerialization.data(
            withJSONObject: ["error_code": errorCode(for: error), "message": message],
            options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if error.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
