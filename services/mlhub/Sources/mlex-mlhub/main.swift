import MLHubService
import Platform

// mlex-mlhub: the model hub — registry, search, leaderboards (port 8084 by default).
await ServiceMain.run(.mlhub, extraSettings: MLHubApp.extraSettings) { settings, logger, metrics in
    try await MLHubApp.buildApplication(settings: settings, logger: logger, metrics: metrics)
}
