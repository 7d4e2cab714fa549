import Auth
import Backends
import DataClient
import Foundation
import Hummingbird
import Logging
import Platform
import Prometheus

/// The ingest service: model and dataset packages checked and stored through the data
/// service, each a tracked ingestion (received → validating → accepted | rejected with
/// reasons), announced on `mlex.ingest` for the hub. Tests build exactly this.
public enum IngestApp {
    public static let info = ServiceInfo(
        name: .ingest, title: "MLExchange ingest",
        summary:
            "Model packages (a card with a typed parameter schema, and files with checksums) and dataset packages, checked and stored through the data service as tracked ingestions; accepted models reach the hub through mlex.ingest."
    )
    public static let extraSettings = IngestSettings.all + Backends.settings + ServiceAuthentication.settings

    public static func buildApplication(
        settings: ServiceSettings, logger: Logger, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) async throws -> some ApplicationProtocol {
        let options = try IngestSettings(settings)
        let backends = try await Backends.open(settings, domains: ["ingest"], logger: logger)
        let auth = try await ServiceAuthentication.start(settings: settings, bus: backends.bus, logger: logger)
        let tokens = auth.serviceTokens
        let data = DataClient.peer(of: settings) { try await tokens.token() }
        let memberships = ProjectMemberships(store: backends.store, data: data)
        let ingestions = Ingestions(store: backends.store)
        let staging = settings.stateDirectory.appendingPathComponent("ingest/staging", isDirectory: true)
        try? FileManager.default.removeItem(at: staging)  // what a stopped process was checking
        let pipeline = IngestPipeline(
            ingestions: ingestions, data: data, staging: staging, settings: options, logger: logger)
        let core = IngestCore(
            ingestions: ingestions, pipeline: pipeline, authorizer: Authorizer(memberships: memberships))

        return try PlatformApplication.build(
            info: info, settings: settings, logger: logger, metrics: metrics, context: AuthRequestContext.self,
            readiness: backends.readiness,
            services: [
                auth.follower, memberships.follower(group: "ingest.memberships", bus: backends.bus, logger: logger),
                InterruptedIngestions(ingestions: ingestions, data: data, logger: logger),
            ]
                + backends.services(logger: logger),
            authentication: auth.middleware()
        ) { api in
            IngestRoutes.register(api, core)
        }
    }
}
