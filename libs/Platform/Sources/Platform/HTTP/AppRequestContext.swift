import Hummingbird
import NIOCore

/// What the platform's middleware needs from a request context; services that add their own
/// fields (the caller's identity, say) define a context conforming to this.
public protocol PlatformRequestContext: RequestContext where Source == ApplicationRequestContextSource {
    /// Upper bound for collected request bodies, set per application from configuration.
    var maxUploadSize: Int { get set }
    /// The client's address as this process saw it.
    var remoteAddress: SocketAddress? { get }
    /// Set by `RequestIDMiddleware`: the caller's `X-Request-Id` or a new one.
    var requestID: String { get set }
}

/// The default context of every service that needs nothing more.
public struct AppRequestContext: PlatformRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var maxUploadSize: Int
    public let remoteAddress: SocketAddress?
    public var requestID: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.maxUploadSize = HTTPSettings.defaultMaxBodyBytes
        self.remoteAddress = source.channel.remoteAddress
        self.requestID = ""
    }
}
