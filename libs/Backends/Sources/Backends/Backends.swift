import Blobs
import Bus
import Foundation
import KafkaBus
import Logging
import MongoStore
import Outbox
import Platform
import ServiceLifecycle
import Store

/// The store and bus a service runs on, chosen by configuration (docs/design.md §3). Today the
/// embedded ones; the MongoDB and Kafka backends plug in here, so services never change.
public struct Backends: Sendable {
    public static let storeURL = Setting(
        "mlex.store", default: "",
        "Document store: empty for the embedded SQLite file `<stateDir>/<service>/store.sqlite`, `sqlite:<path>`, or a MongoDB connection string `mongodb://host:port[/prefix][?options]` (each service uses the database `<prefix>_<service>`, prefix `mlex` by default; `mlexBatch=journal` among the options makes batches use the write-ahead journal instead of transactions)."
    )
    public static let busURL = Setting(
        "mlex.bus", default: "",
        "Event bus: empty for the embedded log `<stateDir>/bus.sqlite` shared by local services, `sqlite:<path>`, or Kafka `kafka://host:port[,host:port…][/prefix]` (topics `<prefix>mlex.…`)."
    )
    public static let blobsURL = Setting(
        "mlex.blobs", default: "",
        "Blob store (the data service only): empty for content-addressed files under `<stateDir>/blobs`, or a MongoDB connection string for GridFS (database `<prefix>_<service>`, bucket `blobs`)."
    )
    public static let settings = [storeURL, busURL, blobsURL] + EventRetention.settings

    public let store: any DocumentStore
    public let bus: any Bus

    public init(store: any DocumentStore, bus: any Bus) {
        self.store = store
        self.bus = bus
    }

    /// Opens both, then applies `db/platform` and `db/<domain>` for each given domain.
    public static func open(
        _ settings: ServiceSettings, domains: [String], logger: Logger? = nil
    ) async throws -> Backends {
        let state = settings.stateDirectory
        let backends = Backends(
            store: try openStore(settings),
            bus: try openBus(settings, state: state, retention: try EventRetention(settings)))
        let definitions = URL(fileURLWithPath: settings.config.string(Settings.dbDir), isDirectory: true)
        for domain in ["platform"] + domains {
            try await CollectionCatalog.load(domain: domain, from: definitions).apply(to: backends.store)
        }
        if let kafka = backends.bus as? KafkaBus {
            // Through the admin API, with the configured partitions and replication.
            try await kafka.createTopics(Topics.all)
        }
        if let mongo = backends.store as? MongoDocumentStore {
            for deviation in mongo.deviations {
                logger?.warning(
                    "the MongoDB server lacks a feature; queries stay correct but slower",
                    metadata: ["deviation": "\(deviation)"])
            }
        }
        return backends
    }

    private static func openBus(_ settings: ServiceSettings, state: URL, retention: EventRetention) throws -> any Bus {
        let url = settings.config.string(busURL)
        if url.hasPrefix("kafka://") {
            let rest = url.dropFirst("kafka://".count)
            let (servers, prefix) =
                rest.firstIndex(of: "/").map { (String(rest[..<$0]), String(rest[rest.index(after: $0)...])) } ?? (
                    String(rest), ""
                )
            guard !servers.isEmpty else {
                throw ConfigurationError(setting: busURL, value: url, expected: "kafka://host:port[/prefix]")
            }
            // kafka://host:port/prefix?partitions=3&replication=3
            let (path, query) =
                prefix.firstIndex(of: "?").map { (String(prefix[..<$0]), String(prefix[prefix.index(after: $0)...])) }
                ?? (prefix, "")
            var options: [String: Int32] = [:]
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, ["partitions", "replication"].contains(parts[0]), let number = Int32(parts[1]),
                    number > 0
                else {
                    throw ConfigurationError(
                        setting: busURL, value: url, expected: "kafka://host:port[/prefix][?partitions=N&replication=N]"
                    )
                }
                options[String(parts[0])] = number
            }
            return try KafkaBus(
                bootstrapServers: servers, prefix: path, partitions: options["partitions"] ?? 1,
                replication: options["replication"] ?? 1, retention: retention)
        }
        return try SQLiteLogBus(
            path: try path(url, setting: busURL, default: state.appendingPathComponent("bus.sqlite")).path,
            retention: retention)
    }

    private static func openStore(_ settings: ServiceSettings) throws -> any DocumentStore {
        let url = settings.config.string(storeURL)
        if url.hasPrefix("mongodb://") || url.hasPrefix("mongodb+srv://") {
            let (connection, journal) = batchOption(url)
            return try MongoDocumentStore(
                url: mongoURL(connection, service: settings.service), batchMode: journal ? .journal : .transactions)
        }
        let storePath = try path(
            url, setting: storeURL,
            default: settings.stateDirectory
                .appendingPathComponent(settings.service.rawValue).appendingPathComponent("store.sqlite"))
        try FileManager.default.createDirectory(
            at: storePath.deletingLastPathComponent(), withIntermediateDirectories: true)
        return try SQLiteDocumentStore(path: storePath.path)
    }

    /// The blob store, as `mlex.blobs` says: the only service that writes blobs (data, docs/design.md
    /// §4) opens one.
    public static func openBlobs(_ settings: ServiceSettings) throws -> any BlobStore {
        let url = settings.config.string(blobsURL)
        if url.hasPrefix("mongodb://") || url.hasPrefix("mongodb+srv://") {
            return try GridFSBlobStore(url: mongoURL(url, service: settings.service))
        }
        guard url.isEmpty else {
            throw ConfigurationError(setting: blobsURL, value: url, expected: "empty or mongodb://…")
        }
        return try FileBlobStore(directory: settings.stateDirectory.appendingPathComponent("blobs"))
    }

    /// Our own option `mlexBatch=journal` (taken out before libmongoc sees the URL): batches
    /// through the write-ahead journal instead of server transactions, for servers whose
    /// transactions cannot be trusted under concurrency (nx-27017, docs/mongodb.md).
    static func batchOption(_ url: String) -> (url: String, journal: Bool) {
        guard let mark = url.firstIndex(of: "?") else { return (url, false) }
        var options = url[url.index(after: mark)...].split(separator: "&").map(String.init)
        let journal = options.contains("mlexBatch=journal")
        options.removeAll { $0.hasPrefix("mlexBatch=") }
        return (String(url[..<mark]) + (options.isEmpty ? "" : "?" + options.joined(separator: "&")), journal)
    }

    /// The service's own database on the deployment `url` names: `<prefix>_<service>`.
    static func mongoURL(_ url: String, service: ServiceName) -> String {
        let (base, query) = url.firstIndex(of: "?").map { (String(url[..<$0]), String(url[$0...])) } ?? (url, "")
        let scheme = base.hasPrefix("mongodb+srv://") ? "mongodb+srv://" : "mongodb://"
        let rest = base.dropFirst(scheme.count)
        let (hosts, prefix) =
            rest.firstIndex(of: "/").map { (rest[..<$0], rest[rest.index(after: $0)...]) } ?? (rest, "")
        return "\(scheme)\(hosts)/\(prefix.isEmpty ? "mlex" : prefix)_\(service.rawValue)\(query)"
    }

    /// What the service's `ServiceGroup` runs for its backends, in start order: the relay that
    /// publishes the outbox, the embedded log's retention (`EventLogRetention`: every
    /// `mlex.events.pruneMinutes` it drops what every group has read past
    /// `mlex.events.retentionDays`), then the bus when it has work at shutdown (Kafka flushes).
    public func services(logger: Logger) -> [any Service] {
        [relay(logger: logger), EventLogRetention(bus: bus, logger: logger)]
            + ((bus as? any Service).map { [$0] } ?? [])
    }

    /// The relay that publishes this service's outbox.
    public func relay(logger: Logger) -> OutboxRelay {
        OutboxRelay(store: store, bus: bus, logger: logger)
    }

    public var readiness: [ReadinessCheck] {
        [
            ReadinessCheck("store") { try await store.checkReachable() },
            ReadinessCheck("bus") { try await bus.checkReachable() },
        ]
    }

    private static func path(_ url: String, setting: Setting, default fallback: URL) throws -> URL {
        if url.isEmpty { return fallback }
        guard url.hasPrefix("sqlite:"), url.count > 7 else {
            throw ConfigurationError(
                setting: setting, value: url,
                expected: setting == storeURL
                    ? "empty, sqlite:<path> or mongodb://…" : "empty, sqlite:<path> or kafka://host:port")
        }
        return URL(fileURLWithPath: String(url.dropFirst(7)))
    }
}
