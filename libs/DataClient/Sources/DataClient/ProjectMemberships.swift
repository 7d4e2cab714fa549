import Auth
import Bus
import Foundation
import Logging
import Outbox
import Platform
import Store

/// Who holds which role on which project, for services other than data (docs/design.md §2): the
/// service's `MembershipReadModel`, so permission checks cost one indexed find. A project the
/// model has not heard of yet (its event still on the way) is asked of data, with the service's
/// token.
public struct ProjectMemberships: MembershipSource {
    let model: MembershipReadModel
    let data: DataClient

    public init(store: any DocumentStore, data: DataClient) {
        self.model = MembershipReadModel(store: store)
        self.data = data
    }

    public func role(of userID: String, teams: [String], in projectID: String) async throws -> ProjectRole? {
        let ids = [userID] + teams
        if let known = try await model.role(ofAny: ids, in: projectID) { return known }
        do {
            let members = try await data.members(ofProject: projectID)
            return members.filter { ids.contains($0["memberId"]?.stringValue ?? "") }.compactMap {
                $0["role"]?.stringValue.flatMap(ProjectRole.init(rawValue:))
            }.max()
        } catch let error as PeerError where error.status == 404 {
            return nil
        }
    }

    /// The consumer that keeps the model, as one of the service's `Service`s.
    public func follower(group: String, bus: any Bus, logger: Logger) -> EventConsumer {
        model.follower(group: group, bus: bus, logger: logger)
    }
}
