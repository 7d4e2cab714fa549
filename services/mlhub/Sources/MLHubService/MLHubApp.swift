import Auth
import Backends
import DataClient
import Foundation
import Hummingbird
import Logging
import Platform
import Prometheus

/// The model hub (store, search, rank): models and their numbered versions with lineage,
/// metrics, stages, aliases and an audit log; full-text search with facets; leaderboards.
/// Versions also arrive from the bus (a finished run or job that asked to be registered).
/// Tests build exactly this.
public enum MLHubApp {
    public static let info = ServiceInfo(
        name: .mlhub, title: "MLExchange model hub",
        summary:
            "Models and their versions (lineage, metrics, stages, aliases, audit log), full-text search with facets, leaderboards and popularity. Finished runs and jobs that ask for it become versions through the bus."
    )
    public static let extraSettings = Backends.settings + ServiceAuthentication.settings

    public static func buildApplication(
        settings: ServiceSettings, logger: Logger, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) async throws -> some ApplicationProtocol {
        let backends = try await Backends.open(settings, domains: ["mlhub"], logger: logger)
        let auth = try await ServiceAuthentication.start(settings: settings, bus: backends.bus, logger: logger)
        let tokens = auth.serviceTokens
        let data = DataClient.peer(of: settings) { try await tokens.token() }
        let memberships = ProjectMemberships(store: backends.store, data: data)
        let registry = ModelRegistry(store: backends.store)
        let authorizer = Authorizer(memberships: memberships)
        let core = HubCore(
            store: backends.store, registry: registry, authorizer: authorizer, data: data,
            computeURL: settings.peerURLs[.compute] ?? "http://127.0.0.1:\(ServiceName.compute.defaultPort)"
        )

        return try PlatformApplication.build(
            info: info, settings: settings, logger: logger, metrics: metrics, context: AuthRequestContext.self,
            readiness: backends.readiness,
            services: [
                auth.follower, memberships.follower(group: "mlhub.memberships", bus: backends.bus, logger: logger),
            ]
                + HubFollower(registry: registry, authorizer: authorizer, logger: logger).consumers(bus: backends.bus)
                + backends.services(logger: logger),
            authentication: auth.middleware()
        ) { api in
            ModelRoutes.register(api, core)
            VersionRoutes.register(api, core)
            SearchRoutes.register(api, core)
            DeployRoutes.register(api, core)
            MLflowRegistry.register(api, core)
        }
    }
}
