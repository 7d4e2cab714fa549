import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

/// What every executable's `main` does: read configuration, set up logging and metrics, make
/// the state directory, build the app and run it until SIGTERM/SIGINT drains it.
public enum ServiceMain {
    public static func run<App: ApplicationProtocol>(
        _ service: ServiceName,
        extraSettings: [Setting] = [],
        build: (ServiceSettings, Logger, PrometheusCollectorRegistry) async throws -> App
    ) async {
        let settings: ServiceSettings
        do {
            let reader = try await ConfigLoader.load(service: service, extraSettings: extraSettings)
            settings = try ServiceSettings(service: service, reader: reader)
        } catch {
            FileHandle.standardError.write(Data("mlex-\(service.rawValue): \(error)\n".utf8))
            exit(78)  // EX_CONFIG
        }
        PlatformLogging.bootstrap(format: settings.logFormat, level: settings.logLevel)
        let registry = PrometheusCollectorRegistry()
        // Library metrics (swift-metrics users) land in the same registry as ours.
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "mlex.\(service.rawValue)")
        logger.logLevel = settings.logLevel
        do {
            try StateDirectory(settings.stateDirectory).prepare()
            let app = try await build(settings, logger, registry)
            try await app.runService()
            logger.info("stopped cleanly")
        } catch {
            logger.critical("stopped on error", metadata: ["error": "\(error)"])
            exit(1)
        }
    }
}
