import Auth
import Backends
import Foundation
import Hummingbird
import Logging
import Platform
import Prometheus

/// The data service: projects and their members, experiments, runs with params, tags, log
/// entries and metric series, run search, files and datasets, and the runs of compute jobs.
/// It is the only writer of blobs (docs/design.md §4). Tests build exactly this (docs/design.md §1).
public enum DataApp {
    public static let info = ServiceInfo(
        name: .data, title: "MLExchange data",
        summary:
            "Projects and their members, experiments, runs (params, tags, metrics, log entries), run search, files with resumable uploads, datasets with immutable versions, and the runs of compute jobs."
    )
    public static let extraSettings = DataSettings.all + Backends.settings + ServiceAuthentication.settings

    /// `now` is the clock of what expires (the trash, resumable uploads): tests move it.
    public static func buildApplication(
        settings: ServiceSettings, logger: Logger, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> some ApplicationProtocol {
        let options = try DataSettings(settings)
        let backends = try await Backends.open(settings, domains: ["data"], logger: logger)
        let auth = try await ServiceAuthentication.start(settings: settings, bus: backends.bus, logger: logger)
        let core = DataCore(store: backends.store, blobs: try Backends.openBlobs(settings))
        let samples = StorageSamples(
            store: core.store, quotas: core.storage, retention: options.storageSampleRetention)
        let sweeper = BlobSweeper(
            core: core, interval: options.sweepInterval, grace: 3600, uploadLifetime: options.uploadLifetime,
            trash: TrashExpiry(core: core, defaultRetention: options.trashRetention), samples: samples, now: now,
            logger: logger)

        return try PlatformApplication.build(
            info: info, settings: settings, logger: logger, metrics: metrics, context: AuthRequestContext.self,
            readiness: backends.readiness,
            services: [auth.follower, sweeper, JobEvents.consumer(core, bus: backends.bus, logger: logger)]
                + backends.services(logger: logger),
            authentication: auth.middleware()
        ) { api in
            ProjectRoutes.register(api, core)
            ExperimentRoutes.register(api, core)
            RunRoutes.register(api, core)
            LogRoutes.register(api, core)
            MetricRoutes.register(api, core)
            SearchRoutes.register(api, core)
            FileRoutes.register(api, core, maxFileBytes: options.maxFileBytes)
            UploadRoutes.register(api, core)
            DatasetRoutes.register(api, core, maxFileBytes: options.maxFileBytes)
            JobRoutes.register(api, core)
            AdminRoutes.register(api, sweeper)
            StorageQuotaRoutes.register(api, core, samples: samples)
            MLflowTrackingRoutes.register(api, core)
            MLflowArtifactRoutes.register(api, core, maxFileBytes: options.maxFileBytes)
        }
    }
}
