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
public struct ServiceAuthentication: Sendable {
    public let verifier: TokenVerifier
    /// Runs as one of the service's `Service`s; already caught up when `start` returns.
    public let follower: UsersEventFollower
    public let serviceTokens: ServiceTokenSource
    public let users: UsersClient

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
        let follower = try await UsersEventFollower(
            bus: bus, verifier: verifier, service: settings.service, logger: logger)
        try await follower.catchUp()
        let credential = try ServiceCredential.load(
            settings.service, stateDirectory: settings.stateDirectory,
            file: settings.config.string(ServiceCredential.fileSetting))
        return ServiceAuthentication(
            verifier: verifier, follower: follower,
            serviceTokens: ServiceTokenSource(service: settings.service, credential: credential, users: users),
            users: users
        )
    }

    public func middleware<Context: AuthenticatedRequestContext>(
        for context: Context.Type = Context.self
    ) -> AuthMiddleware<Context> {
        AuthMiddleware(verifier: verifier)
    }
}
