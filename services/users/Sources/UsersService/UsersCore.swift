import Auth
import Foundation
import Hummingbird
import NIOCore
import Platform

/// Everything the users routes share, built once by `buildApplication`.
struct UsersCore: Sendable {
    let settings: UsersSettings
    let directory: UserDirectory
    let teams: TeamDirectory
    let passwords: Passwords
    let keys: SigningKeys
    let throttle: LoginThrottle
    let verifier: TokenVerifier
    let serviceAccounts: ServiceAccounts
    /// This process's own audit entries, on their way to `mlex.audit`.
    let auditTrail: AuditTrail
    /// The platform's audit log as stored here, and who may read a project's part of it.
    let auditLog: AuditLog
    let projectRoles: ProjectRoles

    /// Lets a login attempt under these keys go on, slowed, or refuses it (429) as the
    /// throttle says.
    func admit(_ keys: [String]) async throws {
        switch throttle.verdict(for: keys) {
        case .refuse(let seconds):
            throw APIError.tooManyRequests(
                "too many failed logins; try again in \(seconds) s", retryAfterSeconds: seconds)
        case .slow(let delay):
            try await Task.sleep(for: delay)
        case .allow:
            break
        }
    }

    /// An access token and a rotated refresh token, as login and refresh answer.
    func issueTokens(for user: User, sessionID: String, refreshToken: String) async throws -> TokenPair {
        let claims = AccessClaims(
            subject: user.id, kind: .user, role: user.role.rawValue, teams: try await teams.teamIDs(of: user.id),
            scope: [],
            sessionID: sessionID, issuedAt: Date(), lifetime: settings.accessTokenLifetime
        )
        return TokenPair(
            accessToken: try await keys.sign(claims), expiresIn: Int64(settings.accessTokenLifetime),
            refreshToken: refreshToken, user: user.profile
        )
    }

    /// The client address for throttling: what the gateway saw (the last hop it appended to
    /// X-Forwarded-For), else the peer itself. The gateway is a trusted address that also
    /// shows the gateway's credential: on one machine every process shares 127.0.0.1, and any
    /// of them could otherwise spread guesses over made-up addresses.
    func clientAddress(_ request: Request, peer: SocketAddress?) -> String {
        let peerIP = peer?.ipAddress ?? "unknown"
        if settings.trustedProxies.contains(peerIP), serviceAccounts.isGateway(request.headers[.gatewayProof]),
            let forwarded = request.headers[.forwardedFor]?.split(separator: ",").last?.trimmingCharacters(
                in: .whitespaces),
            !forwarded.isEmpty
        {
            return forwarded
        }
        return peerIP
    }
}
