import Hummingbird
import Logging

/// Outermost-but-one middleware: every error leaves as the one JSON shape; unexpected ones are
/// logged with their detail and answered as a bare 500 so internals never reach a client.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let apiError = ErrorMapping.apiError(for: error) {
                if apiError.status.code >= 500 {
                    context.logger.error("request failed", metadata: ["error": "\(error)"])
                }
                return apiError.response()
            }
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return APIError.internal.response()
        }
    }
}
