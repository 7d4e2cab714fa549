import Platform
import TagService

// mlex-tag: tags on any entity (port 8085 by default).
await ServiceMain.run(.tag, extraSettings: TagApp.extraSettings) { settings, logger, metrics in
    try await TagApp.buildApplication(settings: settings, logger: logger, metrics: metrics)
}
