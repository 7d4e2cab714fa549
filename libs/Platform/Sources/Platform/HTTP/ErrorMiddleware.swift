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
                return Self.render(apiError, for: request)
            }
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Self.render(.internal, for: request)
        }
    }

    /// Ours everywhere but on MLflow's routes, which keep MLflow's shape (MLflowErrorShape).
    private static func render(_ error: APIError, for request: Request) -> Response {
        MLflowErrorShape.applies(to: request.uri.path) ? MLflowErrorShape.response(for: error) : error.response()
    }
}
