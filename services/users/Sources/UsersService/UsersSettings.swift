import Foundation
import Platform

/// The users service's own settings (docs/configuration.md lists each).
struct UsersSettings: Sendable {
    static let accessTokenMinutes = Setting(
        "mlex.users.accessTokenMinutes", default: "15", "Lifetime of an access token, in minutes.")
    static let refreshTokenDays = Setting(
        "mlex.users.refreshTokenDays", default: "30",
        "Lifetime of a login session's refresh token, in days; each use rotates it.")
    static let bcryptCost = Setting(
        "mlex.users.bcryptCost", default: "11",
        "bcrypt work factor for stored passwords (10–14; each step doubles the cost of a login and of a guess).")
    static let trustedProxies = Setting(
        "mlex.users.trustedProxies", default: "127.0.0.1,::1",
        "Peer addresses whose X-Forwarded-For is believed (the gateway) when the request also shows the gateway's credential: login throttling counts the client behind them."
    )
    static let adminEmail = Setting(
        "mlex.admin.email", default: "admin@mlex.local",
        "Email of the first administrator, created on first start when no administrator exists.")
    static let adminPasswordFile = Setting(
        "mlex.admin.passwordFile", default: "",
        "File holding the first administrator's password; empty: one is generated, logged once and saved to `<stateDir>/secrets/initial-admin-password` (mode 0600)."
    )

    static let serviceTokenMinutes = Setting(
        "mlex.users.serviceTokenMinutes", default: "15", "Lifetime of a service token, in minutes.")
    static let serviceCredentialsDir = Setting(
        "mlex.users.serviceCredentialsDir", default: "",
        "Directory of the services' credentials (`service-<name>` files, compose secrets). Empty: `<stateDir>/secrets`, generated there on first use."
    )

    static let auditRetentionDays = Setting(
        "mlex.users.auditRetentionDays", default: "365",
        "How long the audit log (`GET /v1/audit`) keeps an entry, in days; older entries are deleted hourly.")

    static let all = [
        accessTokenMinutes, refreshTokenDays, bcryptCost, trustedProxies, adminEmail, adminPasswordFile,
        serviceTokenMinutes, serviceCredentialsDir, auditRetentionDays,
    ]

    var accessTokenLifetime: TimeInterval
    var refreshTokenLifetime: TimeInterval
    var bcryptCost: Int
    var trustedProxies: Set<String>
    var adminEmail: String
    var adminPasswordFile: String
    var serviceTokenLifetime: TimeInterval
    var serviceCredentialsDir: String
    var auditRetention: TimeInterval

    init(_ settings: ServiceSettings) throws {
        let config = settings.config
        accessTokenLifetime = TimeInterval(try config.int(Self.accessTokenMinutes, in: 1...1440) * 60)
        refreshTokenLifetime = TimeInterval(try config.int(Self.refreshTokenDays, in: 1...365) * 86400)
        bcryptCost = try config.int(Self.bcryptCost, in: 4...14)
        trustedProxies = Set(
            config.string(Self.trustedProxies).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        adminEmail = config.string(Self.adminEmail)
        adminPasswordFile = config.string(Self.adminPasswordFile)
        serviceTokenLifetime = TimeInterval(try config.int(Self.serviceTokenMinutes, in: 1...1440) * 60)
        serviceCredentialsDir = config.string(Self.serviceCredentialsDir)
        auditRetention = TimeInterval(try config.int(Self.auditRetentionDays, in: 1...36500) * 86400)
    }
}
