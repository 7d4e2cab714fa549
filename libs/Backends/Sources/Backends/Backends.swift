import Bus
import Foundation
import Logging
import Outbox
import Platform
import Store

/// The store and bus a service runs on, chosen by configuration (DESIGN.md §3). Today the
/// embedded ones; the MongoDB and Kafka backends plug in here, so services never change.
public struct Backends: Sendable {
    public static let storeURL = Setting("mlex.store.url", default: "", "Document store: empty for the embedded SQLite file `<stateDir>/<service>/store.sqlite`, or `sqlite:<path>`.")
    public static let busURL = Setting("mlex.bus.url", default: "", "Event bus: empty for the embedded log `<stateDir>/bus.sqlite` shared by local services, or `sqlite:<path>`.")
    public static let settings = [storeURL, busURL]

    public let store: any DocumentStore
    public let bus: any Bus

    public init(store: any DocumentStore, bus: any Bus) {
        self.store = store
        self.bus = bus
    }

    /// Opens both, then applies `db/platform` and `db/<domain>` for each given domain.
    public static func open(_ settings: ServiceSettings, domains: [String]) async throws -> Backends {
        let state = settings.stateDirectory
        let storePath = try path(settings.config.string(storeURL), setting: storeURL,
                                 default: state.appendingPathComponent(settings.service.rawValue).appendingPathComponent("store.sqlite"))
        let busPath = try path(settings.config.string(busURL), setting: busURL, default: state.appendingPathComponent("bus.sqlite"))
        try FileManager.default.createDirectory(at: storePath.deletingLastPathComponent(), withIntermediateDirectories: true)
        let backends = Backends(store: try SQLiteDocumentStore(path: storePath.path), bus: try SQLiteLogBus(path: busPath.path))
        let definitions = URL(fileURLWithPath: settings.config.string(Settings.dbDir), isDirectory: true)
        for domain in ["platform"] + domains {
            try await CollectionCatalog.load(domain: domain, from: definitions).apply(to: backends.store)
        }
        return backends
    }

    /// The relay that publishes this service's outbox.
    public func relay(logger: Logger) -> OutboxRelay {
        OutboxRelay(store: store, bus: bus, logger: logger)
    }

    public var readiness: [ReadinessCheck] {
        [ReadinessCheck("store") { try await store.checkReachable() }, ReadinessCheck("bus") { try await bus.checkReachable() }]
    }

    private static func path(_ url: String, setting: Setting, default fallback: URL) throws -> URL {
        if url.isEmpty { return fallback }
        guard url.hasPrefix("sqlite:"), url.count > 7 else {
            throw ConfigurationError(setting: setting, value: url, expected: "empty or sqlite:<path> (MongoDB and Kafka arrive with their backends)")
        }
        return URL(fileURLWithPath: String(url.dropFirst(7)))
    }
}
