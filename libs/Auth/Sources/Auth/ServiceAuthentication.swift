import Bus
import Foundation
import Logging
import Platform

/// What every service but users sets up to know who asks and to act as itself: a verifier fed
/// by the users service (its public keys, its answers about API tokens, its `mlex.users`
/// events) and a source of service tokens. One call in `buildApplication`:
///
/// ```swift
/// let auth = try await ServiceAuthentication.start(settings: settings, bus: backends.bus, logger: logger)
/// PlatformApplication.build(…, services: [auth.follower, …], authentication: auth.middleware())
/// ```
/// The middleware also audits every state-changing request (`AuditTrail`), and the follower,
/// the one `Service` of this kit every service runs, publishes those entries.
public struct ServiceAuthentication: Sendable {
    public let verifier: TokenVerifier
    /// Runs as one of the service's `Service`s; already caught up when `start` returns.
    public let follower: UsersEventFollower
    public let serviceTokens: ServiceTokenSource
    public let users: UsersClient
    /// This process's audit entries on their way to `mlex.audit`; `follower` drains it.
    public let audit: AuditTrail

    public static let settings = [ServiceCredential.fileSetting]

    /// `apiTokenCacheSeconds` bounds how long a revoked API token may still pass if its event
    /// is missed; the event normally ends it within moments.
    public static func start(
        settings: ServiceSettings, bus: any Bus, logger: Logger, apiTokenCacheSeconds: TimeInterval = 10
    ) async throws -> ServiceAuthentication {
        let users = UsersClient(
            baseURL: settings.peerURLs[.users] ?? "http://127.0.0.1:\(ServiceName.users.defaultPort)")
        let verifier = TokenVerifier(
            keySource: { try await users.jwks() }, apiTokens: { try await users.verifyAPIToken($0) },
            apiTokenCacheSeconds: apiTokenCacheSeconds)
        do {
            try await verifier.refreshKeys()
        } catch {
            // Users may start after us: the first token with an unknown key fetches them again.
            logger.warning(
                "the users service's keys are not available yet; tokens are refused until they are",
                metadata: ["error": "\(error)"])
        }
        let audit = AuditTrail(service: settings.service, bus: bus, logger: logger)
        let follower = try await UsersEventFollower(
            bus: bus, verifier: verifier, service: settings.service, logger: logger, audit: audit)
        try await follower.catchUp()
        let credential = try ServiceCredential.load(
            settings.service, stateDirectory: settings.stateDirectory,
            file: settings.config.string(ServiceCredential.fileSetting))
        return ServiceAuthentication(
            verifier: verifier, follower: follower,
            serviceTokens: ServiceTokenSource(service: settings.service, credential: credential, users: users),
            users: users, audit: audit
        )
    }

    public func middleware<Context: AuthenticatedRequestContext>(
        for context: Context.Type = Context.self
    ) -> AuthMiddleware<Context> {
        AuthMiddleware(verifier: verifier, audit: audit)
    }
}
