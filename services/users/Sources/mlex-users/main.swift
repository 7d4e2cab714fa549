import Platform
import UsersService

// mlex-users: accounts, sessions, API tokens and signing keys (port 8081 by default).
await ServiceMain.run(.users, extraSettings: UsersApp.extraSettings) { settings, logger, metrics in
    try await UsersApp.buildApplication(settings: settings, logger: logger, metrics: metrics)
}
