import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceLifecycle

/// Who a service is, for its OpenAPI document and docs page.
public struct ServiceInfo: Sendable {
    public let name: ServiceName
    public let title: String
    public let summary: String
    public let version: String

    public init(name: ServiceName, title: String, summary: String, version: String = "0.1.0") {
        self.name = name
        self.title = title
        self.summary = summary
        self.version = version
    }
}

/// A route served but not documented, or documented but not served.
public struct RouteDocumentationError: Error, CustomStringConvertible {
    public let undocumented: [String]
    public let unserved: [String]
    public var description: String {
        "routes without OpenAPI documentation: \(undocumented); documented but not served: \(unserved)"
    }
}

/// The application every service and the gateway are made of: the platform middleware, the
/// standard endpoints, the service's own routes, and its long-lived parts as `Service`s.
public enum PlatformApplication {
    /// Middleware order (outermost first): request id, access log, metrics, error rendering,
    /// body limit. Errors are rendered inside the metrics and log layers so both see the status
    /// the client gets.
    ///
    /// `webSockets`, when given, registers the routes that may take a WebSocket handshake (a
    /// proxy's endpoint mounts): they run behind the same middleware and `authentication`, and
    /// decide before anything is answered whether the client gets 101 (`WebSocketUpgrade`).
    /// Without it the server is plain HTTP/1.1, as before.
    public static func build<Context: PlatformRequestContext>(
        info: ServiceInfo,
        settings: ServiceSettings,
        logger: Logger,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        context: Context.Type,
        readiness: [ReadinessCheck] = [],
        services: [any Service] = [],
        authentication: (any MiddlewareProtocol<Request, Response, Context>)? = nil,
        webSockets: ((WebSocketRoutes<Context>) throws -> Void)? = nil,
        routes: (APIBuilder<Context>) throws -> Void
    ) throws -> some ApplicationProtocol {
        let router = Router(context: Context.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: HTTPMetricsMiddleware(registry: metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: BodyLimitMiddleware(maxBodyBytes: settings.maxBodyBytes))

        var server = HTTPServerBuilder.http1()
        if let webSockets {
            // A router of its own, so a handshake is matched only against the routes that take one.
            let socketRouter = Router(context: Context.self)
            socketRouter.add(middleware: RequestIDMiddleware())
            socketRouter.add(middleware: AccessLogMiddleware())
            socketRouter.add(middleware: HTTPMetricsMiddleware(registry: metrics))
            socketRouter.add(middleware: ErrorMiddleware())
            let socketAPI = APIBuilder(router: socketRouter, authentication: authentication)
            try webSockets(WebSocketRoutes(api: socketAPI))
            try checkDocumented(router: socketRouter, api: socketAPI)
            server = WebSocketUpgradableHTTP1Channel.builder(webSocketResponder: socketRouter.buildResponder())
        }

        // Every route not documented as open is served behind `authentication`.
        let api = APIBuilder(router: router, authentication: authentication)
        try routes(api)
        let document = StandardRoutes.register(on: api, info: info, readiness: readiness, metrics: metrics)
        try checkDocumented(router: router, api: api)

        logger.info(
            "\(info.name.rawValue) configured",
            metadata: [
                "address": "\(settings.host):\(settings.port)", "stateDir": "\(settings.stateDirectory.path)",
                "routes": "\(document.routes.count)",
            ])
        return Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(settings.host, port: settings.port), serverName: "mlex-\(info.name.rawValue)"),
            services: services,
            logger: logger
        )
    }

    /// The same, for services whose requests need nothing beyond `AppRequestContext`.
    public static func build(
        info: ServiceInfo,
        settings: ServiceSettings,
        logger: Logger,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        readiness: [ReadinessCheck] = [],
        services: [any Service] = [],
        webSockets: ((WebSocketRoutes<AppRequestContext>) throws -> Void)? = nil,
        routes: (APIBuilder<AppRequestContext>) throws -> Void
    ) throws -> some ApplicationProtocol {
        try build(
            info: info, settings: settings, logger: logger, metrics: metrics, context: AppRequestContext.self,
            readiness: readiness, services: services, webSockets: webSockets, routes: routes
        )
    }

    /// Refuses to build an app whose router and document disagree (a route added on the raw
    /// router, bypassing `APIBuilder`).
    static func checkDocumented<Context>(router: Router<Context>, api: APIBuilder<Context>) throws {
        let served = Set(router.routes.map { "\($0.method) \(DocumentedRoute.openAPIPath($0.path.description))" })
        let documented = Set(api.routes.map { "\($0.method) \($0.openAPIPath)" })
        if served != documented {
            throw RouteDocumentationError(
                undocumented: served.subtracting(documented).sorted(),
                unserved: documented.subtracting(served).sorted()
            )
        }
    }
}
