import Hummingbird
import Logging

/// One line per answered request, after the body went out: method, route, status, duration.
public struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let status = response.status.code
        response.body = response.body.afterWrite {
            let elapsed = ContinuousClock.now - start
            context.logger.info(
                "\(request.method) \(request.uri.path) \(status)",
                metadata: [
                    "http.route": .string(context.endpointPath ?? "unmatched"),
                    "http.status": .stringConvertible(status),
                    "duration_ms": .stringConvertible(Double(elapsed.nanoseconds) / 1_000_000),
                ]
            )
        }
        return response
    }
}
