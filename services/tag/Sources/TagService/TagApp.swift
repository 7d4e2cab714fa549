import Auth
import Backends
import DataClient
import Foundation
import Hummingbird
import Logging
import Platform
import Prometheus

/// The tag service: `key` or `key:value` tags on any entity the platform's services announce
/// (projects, experiments, runs, datasets and their versions, jobs, models and their versions),
/// listed by entity, by tag and counted per project. Tests build exactly this.
public enum TagApp {
    public static let info = ServiceInfo(
        name: .tag, title: "MLExchange tags",
        summary:
            "Tags on any entity (key or key:value), the entities carrying a tag, and tag counts per project. Rights follow the entity's project; entities and their purges are learned from the bus."
    )
    public static let extraSettings = Backends.settings + ServiceAuthentication.settings

    public static func buildApplication(
        settings: ServiceSettings, logger: Logger, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) async throws -> some ApplicationProtocol {
        let backends = try await Backends.open(settings, domains: ["tag"], logger: logger)
        let auth = try await ServiceAuthentication.start(settings: settings, bus: backends.bus, logger: logger)
        let tokens = auth.serviceTokens
        let data = DataClient.peer(of: settings) { try await tokens.token() }
        let memberships = ProjectMemberships(store: backends.store, data: data)
        let directory = TagDirectory(store: backends.store)
        let core = TagCore(directory: directory, authorizer: Authorizer(memberships: memberships))

        return try PlatformApplication.build(
            info: info, settings: settings, logger: logger, metrics: metrics, context: AuthRequestContext.self,
            readiness: backends.readiness,
            services: [
                auth.follower, memberships.follower(group: "tag.memberships", bus: backends.bus, logger: logger),
            ]
                + EntityFollower(directory: directory).consumers(bus: backends.bus, logger: logger)
                + backends.services(logger: logger),
            authentication: auth.middleware()
        ) { api in
            TagRoutes.register(api, core)
        }
    }
}
