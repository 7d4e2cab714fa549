import Auth
import Bus
import DataClient
import Foundation
import Logging
import Outbox
import Platform
import Store

/// Who holds which role on which project, for deciding who reads a project's audit entries: the
/// same `MembershipReadModel` of data's events the other services keep. A project the model has
/// not heard of yet is asked of data with the caller's own token (users has no service identity
/// of its own to ask with); when data cannot answer, the project counts as unknown (the caller
/// gets 404), so an outage fails closed.
struct ProjectRoles: Sendable {
    static let group = "users.memberships"

    let model: MembershipReadModel
    let data: ProjectRoleLookup
    let logger: Logger

    init(store: any DocumentStore, data: ProjectRoleLookup, logger: Logger) {
        self.model = MembershipReadModel(store: store)
        self.data = data
        self.logger = logger
    }

    /// The caller's highest role on `projectID` through itself or its teams; nil when none (or
    /// no such project).
    func role(of principal: Principal, on projectID: String, bearerToken: String) async throws -> ProjectRole? {
        if let known = try await model.role(ofAny: [principal.id] + principal.teams, in: projectID) { return known }
        do {
            return try await data.role(on: projectID, bearerToken: bearerToken)
        } catch {
            logger.warning(
                "cannot ask data about a project not yet in the membership read model; refusing",
                metadata: ["projectId": "\(projectID)", "error": "\(error)"])
            return nil
        }
    }

    func follower(bus: any Bus, logger: Logger) -> EventConsumer {
        model.follower(group: Self.group, bus: bus, logger: logger)
    }
}
