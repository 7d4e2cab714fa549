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
///
/// With an `AuditTrail` it also records every state-changing request it guards, refused ones
/// included (a 401 here, a 403 or 404 from the handler): being the one middleware every
/// service installs in front of its routes, it covers them all without a line in any service.
public struct AuthMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let verifier: TokenVerifier
    let audit: AuditTrail?

    public init(verifier: TokenVerifier, audit: AuditTrail? = nil) {
        self.verifier = verifier
        self.audit = audit
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let audit else { return try await authenticate(request, context: context, next: next) }
        return try await audit.observe(request, context: context) { request, context in
            try await authenticate(request, context: context, next: next)
        }
    }

    private func authenticate(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("send Authorization: Bearer <token> (log in, or create an API token)")
        }
        guard let token = Self.bearerToken(header) else {
            throw APIError.unauthorized("the Authorization header must be Bearer <token>")
        }
        var context = context
        let principal = try await verifier.authenticate(token)
        context.principal = principal
        AuditNote.current?.actor(AuditEntry.Actor(principal))
        return try await next(request, context)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1), without the
    /// spaces around it. Byte-wise: this runs on every request, and Foundation's trimming
    /// cost more than the cached verification itself.
    static func bearerToken(_ header: String) -> String? {
        var bytes = Substring(header).utf8[...]
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count, zip(bytes.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 }) else {
            return nil
        }
        bytes = bytes.dropFirst(scheme.count)
        guard bytes.first == UInt8(ascii: " ") else { return nil }
        while bytes.first == UInt8(ascii: " ") { bytes = bytes.dropFirst() }
        while bytes.last == UInt8(ascii: " ") { bytes = bytes.dropLast() }
        return bytes.isEmpty ? nil : String(Substring(bytes))
    }
}
