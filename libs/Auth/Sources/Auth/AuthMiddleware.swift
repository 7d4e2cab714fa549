import Hummingbird
import NIOCore
import Platform

/// A request context that carries who is asking, once `AuthMiddleware` has checked it.
public protocol AuthenticatedRequestContext: PlatformRequestContext {
    var principal: Principal? { get set }
}

extension AuthenticatedRequestContext {
    /// The caller; behind `AuthMiddleware` it is always set.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthorized() }
        return principal
    }
}

/// The context of every service whose requests need nothing beyond the caller.
public struct AuthRequestContext: AuthenticatedRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var maxUploadSize: Int
    public let remoteAddress: SocketAddress?
    public var requestID: String
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.maxUploadSize = HTTPSettings.defaultMaxBodyBytes
        self.remoteAddress = source.channel.remoteAddress
        self.requestID = ""
        self.principal = nil
    }
}

/// Requires `Authorization: Bearer <token>` (an access, service or personal API token) on every
/// route it guards; `PlatformApplication.build(authentication:)` puts it in front of every
/// route not documented as open. A missing or bad token is 401 before any handler runs.
public struct AuthMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let verifier: TokenVerifier

    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("send Authorization: Bearer <token> (log in, or create an API token)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError.unauthorized("the Authorization header must be Bearer <token>")
        }
        var context = context
        context.principal = try await verifier.authenticate(String(parts[1]).trimmingCharacters(in: .whitespaces))
        return try await next(request, context)
    }
}
