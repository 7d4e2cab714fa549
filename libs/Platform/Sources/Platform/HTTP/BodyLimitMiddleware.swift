import Hummingbird

/// Hands the configured body limit to the request context. The limit applies where a body is
/// collected into memory (`decodeJSON`); streamed uploads and the gateway's pass-through impose
/// their own limits, so nothing here refuses a large body on its own.
public struct BodyLimitMiddleware<Context: PlatformRequestContext>: RouterMiddleware {
    let maxBodyBytes: Int

    public init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.maxUploadSize = maxBodyBytes
        return try await next(request, context)
    }
}
