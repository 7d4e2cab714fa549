import AsyncHTTPClient
import NIOCore
import ServiceLifecycle

/// A forwarding process's one HTTP client (the gateway's to the services, compute's to its
/// agents, an agent's to its jobs' sockets), owned by the service group so it is shut down
/// after the server has drained. It never follows redirects or decompresses: a proxy passes
/// them through.
public final class UpstreamClient: Service, Sendable {
    public let client: HTTPClient

    public init() {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // AsyncHTTPClient retries a refused connection until this passes: it bounds how long a
        // client waits for the 502 of a service that is down.
        configuration.timeout = .init(connect: .seconds(2))
        // No spans: nothing here exports traces, and building each request's span attributes (its
        // URL taken apart once more, among others) showed in a profile of small proxied calls.
        configuration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
