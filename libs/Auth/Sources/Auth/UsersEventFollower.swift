import Bus
import Foundation
import Logging
import Platform
import ServiceLifecycle

/// Keeps a service's `TokenVerifier` in step with account changes published on `mlex.users`,
/// so a revoked API token or a disabled user stops working within moments everywhere:
/// - `token.revoked` drops the cached API token;
/// - `user.disabled` / `user.enabled` refuse or admit the user's tokens;
/// - `user.role.changed`, `team.member.removed` refuse tokens signed before the change, so
///   the client refreshes and gets its current role and teams.
///
/// The state is in memory, so every process reads the whole topic from its start under a group
/// of its own and never commits: a restarted service knows who is disabled before it serves
/// (`catchUp()`), and the topic's retention bounds the replay.
public struct UsersEventFollower: Service {
    public static let topic = Topics.users

    let bus: any Bus
    let verifier: TokenVerifier
    let group: String
    let logger: Logger
    let subscription: any BusSubscription
    /// The process's audit trail, published alongside: services list this follower among their
    /// `Service`s already, so the trail needs no line of its own in each of them.
    let audit: AuditTrail?

    /// Subscribes now, so events published from this moment on are not missed.
    public init(
        bus: any Bus, verifier: TokenVerifier, service: ServiceName, logger: Logger, audit: AuditTrail? = nil
    ) async throws {
        self.bus = bus
        self.verifier = verifier
        self.group = "\(service.rawValue).auth.\(ID.make())"
        self.logger = logger
        self.subscription = try await bus.subscribe(group: group, topic: Self.topic)
        self.audit = audit
    }

    /// Applies everything published so far; call before serving.
    public func catchUp() async throws {
        while case let deliveries = try await subscription.next(max: 1000, wait: .zero), !deliveries.isEmpty {
            for delivery in deliveries { apply(delivery.event) }
        }
    }

    public func run() async throws {
        guard let audit else { return try await follow() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await audit.run() }
            try await follow()
        }
    }

    private func follow() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // A long wait costs nothing (the bus wakes it when events come); graceful
                // shutdown ends it early.
                let deliveries = try await cancelWhenGracefulShutdown { [subscription] in
                    try await subscription.next(max: 100, wait: .seconds(1))
                }
                for delivery in deliveries { apply(delivery.event) }
                failures = 0
            } catch {
                failures += 1
                logger.warning("cannot read mlex.users yet; token revocations wait", metadata: ["error": "\(error)"])
                await Retry.pause(Retry.backoff(after: failures))
            }
        }
    }

    /// What one event changes in the verifier.
    func apply(_ event: CloudEvent) {
        let userID = event.data["userId"]?.stringValue
        switch event.type {
        case "mlex.users.token.revoked":
            if let id = event.data["id"]?.stringValue { verifier.forgetAPIToken(id: id) }
        case "mlex.users.user.disabled":
            verifier.setDisabled(event.subject, true)
            verifier.claimsChanged(for: event.subject, at: event.time)
        case "mlex.users.user.enabled":
            verifier.setDisabled(event.subject, false)
        case "mlex.users.user.role.changed":
            verifier.claimsChanged(for: event.subject, at: event.time)
        case "mlex.users.team.member.removed", "mlex.users.team.member.changed":
            if let userID { verifier.claimsChanged(for: userID, at: event.time) }
        default:
            break
        }
    }
}
