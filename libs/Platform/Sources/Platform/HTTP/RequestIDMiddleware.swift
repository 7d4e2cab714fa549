import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-Id")!
    public static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// The gateway's credential, sent with what it forwards to users: proof that the
    /// `X-Forwarded-For` came from the gateway and not from any other process at its address.
    public static let gatewayProof = HTTPField.Name("X-Mlex-Gateway")!
}

/// Takes the caller's `X-Request-Id` (or makes one), puts it on every log line of the request
/// and echoes it on the response, so one id follows a request through gateway and services.
public struct RequestIDMiddleware<Context: PlatformRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let requestID = request.headers[.requestID].flatMap(Self.acceptable) ?? ID.make()
        var context = context
        context.requestID = requestID
        // Hummingbird's own lines read this key too, so one id names the request everywhere.
        context.logger[metadataKey: "hb.request.id"] = .string(requestID)
        var response = try await next(request, context)
        response.headers[.requestID] = requestID
        return response
    }

    /// A caller's id is kept only if it is short, printable ASCII: it ends up in logs and headers.
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count) else { return nil }
        let printable = value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        return printable ? value : nil
    }
}
