import Auth
import Backends
import Foundation
import Hummingbird
import Logging
import NIOPosix
import Platform
import Prometheus
import ServiceLifecycle

/// The users service: accounts, login sessions, API tokens and the keys that sign access
/// tokens. Tests build exactly this (docs/design.md §1).
public enum UsersApp {
    public static let info = ServiceInfo(
        name: .users, title: "MLExchange users",
        summary: "Accounts, login sessions, personal API tokens and the public keys every service verifies tokens with."
    )
    public static let extraSettings = UsersSettings.all + Backends.settings

    /// `auditClock` is the audit retention's time (tests move it instead of waiting).
    public static func buildApplication(
        settings: ServiceSettings, logger: Logger, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        auditClock: AuditClock = .system
    ) async throws -> some ApplicationProtocol {
        let options = try UsersSettings(settings)
        let backends = try await Backends.open(settings, domains: ["users"], logger: logger)
        let directory = UserDirectory(store: backends.store)
        let teams = TeamDirectory(store: backends.store)
        let keys = try await SigningKeys(
            directory: settings.stateDirectory.appendingPathComponent("users/keys"),
            overlap: options.accessTokenLifetime + 60
        )
        // This service checks API tokens in its own store; others ask it (UsersClient).
        let verifier = TokenVerifier(
            keySource: { keys.jwks.jsonText },
            apiTokens: { secret in
                guard let token = try await directory.apiToken(secret: secret),
                    let user = try await directory.user(id: token.userId)
                else { return nil }
                return .init(
                    principal: Principal(
                        id: user.id, kind: .user, credential: .apiToken, role: user.role.rawValue,
                        teams: try await teams.teamIDs(of: user.id)),
                    tokenID: token.id, expiresAt: token.expiresAt.flatMap(Timestamp.parse)
                )
            }
        )
        try await verifier.refreshKeys()
        for id in try await directory.disabledUserIDs() { verifier.setDisabled(id, true) }
        let passwords = try await Passwords.make(cost: options.bcryptCost, pool: .singleton)
        try await FirstAdmin.ensure(
            options, directory: directory, passwords: passwords, stateDirectory: settings.stateDirectory, logger: logger
        )
        let auditLog = AuditLog(store: backends.store, directory: directory)
        let projectRoles = ProjectRoles(
            store: backends.store,
            data: ProjectRoleLookup(
                dataURL: settings.peerURLs[.data] ?? "http://127.0.0.1:\(ServiceName.data.defaultPort)"),
            logger: logger)
        let core = UsersCore(
            settings: options, directory: directory, teams: teams, passwords: passwords, keys: keys,
            throttle: LoginThrottle(), verifier: verifier,
            serviceAccounts: ServiceAccounts(
                stateDirectory: settings.stateDirectory, credentialsDirectory: options.serviceCredentialsDir),
            auditTrail: AuditTrail(service: .users, bus: backends.bus, logger: logger), auditLog: auditLog,
            projectRoles: projectRoles
        )
        let auditServices: [any Service] = [
            core.auditTrail, auditLog.consumer(bus: backends.bus, logger: logger),
            projectRoles.follower(bus: backends.bus, logger: logger),
            AuditRetention(log: auditLog, retention: options.auditRetention, clock: auditClock, logger: logger),
        ]

        return try PlatformApplication.build(
            info: info, settings: settings, logger: logger, metrics: metrics, context: AuthRequestContext.self,
            readiness: backends.readiness, services: backends.services(logger: logger) + auditServices,
            authentication: AuthMiddleware(verifier: verifier, audit: core.auditTrail)
        ) { api in
            AccountRoutes.register(api, core)
            SessionRoutes.register(api, core)
            TokenRoutes.register(api, core)
            TeamRoutes.register(api, core)
            AuditRoutes.register(api, core)
        }
    }
}

/// The first administrator (docs/design.md: from configuration), made once when none exists.
enum FirstAdmin {
    static func ensure(
        _ options: UsersSettings, directory: UserDirectory, passwords: Passwords, stateDirectory: URL, logger: Logger
    ) async throws {
        guard try await !directory.hasAdministrator() else { return }
        let email = try Registration.checkEmail(options.adminEmail)
        let password: String
        if options.adminPasswordFile.isEmpty {
            // Kept in the state dir (0600) so a crash before the account exists reuses the same one.
            let stored = try StateDirectory(stateDirectory).secret(named: "initial-admin-password") {
                Array(Secrets.token(prefix: "").prefix(24).utf8)
            }
            password = String(decoding: stored, as: UTF8.self)
            logger.notice(
                "creating the first administrator; its generated password is shown once here and kept in secrets/initial-admin-password of the state dir",
                metadata: ["email": "\(email)", "password": "\(password)"]
            )
        } else {
            password = try String(contentsOfFile: options.adminPasswordFile, encoding: .utf8).trimmingCharacters(
                in: .newlines)
            try Passwords.check(password, email: email)
            logger.notice(
                "creating the first administrator from \(options.adminPasswordFile)", metadata: ["email": "\(email)"])
        }
        if let existing = try await directory.user(email: email) {
            _ = try await directory.update(existing.id, verb: "user.role.changed") { $0.role = .admin }
            return
        }
        _ = try await directory.create(
            email: email, displayName: "Administrator", passwordHash: try await passwords.hash(password), role: .admin)
    }
}
