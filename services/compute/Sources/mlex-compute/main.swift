import ComputeService
import Platform

// mlex-compute: the jobs API, scheduling and the agents' API (port 8080 by default).
await ServiceMain.run(.compute, extraSettings: ComputeApp.extraSettings) { settings, logger, metrics in
    try await ComputeApp.buildApplication(settings: settings, logger: logger, metrics: metrics)
}
