import DataService
import Platform

// mlex-data: projects, experiments, runs, metrics and run search (port 8082 by default).
await ServiceMain.run(.data, extraSettings: DataApp.extraSettings) { settings, logger, metrics in
    try await DataApp.buildApplication(settings: settings, logger: logger, metrics: metrics)
}
