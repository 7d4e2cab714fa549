import IngestService
import Platform

// mlex-ingest: model and dataset packages, checked and stored (port 8083 by default).
await ServiceMain.run(.ingest, extraSettings: IngestApp.extraSettings) { settings, logger, metrics in
    try await IngestApp.buildApplication(settings: settings, logger: logger, metrics: metrics)
}
