import Auth
import Bus
import Foundation
import Logging
import Outbox
import Platform
import Store

/// Who holds which role on which project, for services other than data (docs/design.md §2): a read
/// model of `mlex.data` project and membership events in the service's own store, so
/// permission checks cost one indexed find. A project the model has not heard of yet (its
/// event still on the way) is asked of data, with the service's token. A service keeping the
/// model declares `project_views` and `project_member_views` (projectId, memberId) in db/<domain>/.
public struct ProjectMemberships: MembershipSource {
    let store: any DocumentStore
    let data: DataClient

    public init(store: any DocumentStore, data: DataClient) {
        self.store = store
        self.data = data
    }

    public func role(of userID: String, teams: [String], in projectID: String) async throws -> ProjectRole? {
        let ids = ([userID] + teams).map(JSONValue.string)
        if try await store.get(projectID, from: "project_views") != nil {
            let found = try await store.find(
                "project_member_views",
                Query(filter: ["projectId": .string(projectID), "memberId": ["$in": .array(ids)]]))
            return found.compactMap { $0["role"]?.stringValue.flatMap(ProjectRole.init(rawValue:)) }.max()
        }
        do {
            let members = try await data.members(ofProject: projectID)
            return members.filter { ids.contains($0["memberId"] ?? .null) }.compactMap {
                $0["role"]?.stringValue.flatMap(ProjectRole.init(rawValue:))
            }.max()
        } catch let error as PeerError where error.status == 404 {
            return nil
        }
    }

    /// The consumer that keeps the model, as one of the service's `Service`s.
    public func follower(group: String, bus: any Bus, logger: Logger) -> EventConsumer {
        EventConsumer(group: group, topic: Topics.data, bus: bus, store: store, logger: logger) { delivery in
            Self.operations(for: delivery.event)
        }
    }

    static func operations(for event: CloudEvent) -> [WriteOperation] {
        guard let projectID = event.data["projectId"]?.stringValue else { return [] }
        switch event.type {
        case "mlex.data.project.deleted":
            return [
                .delete("project_views", filter: ["id": .string(projectID)]),
                .delete("project_member_views", filter: ["projectId": .string(projectID)]),
            ]
        case "mlex.data.project.member.changed":
            guard let kind = event.data["memberKind"]?.stringValue, let member = event.data["memberId"]?.stringValue
            else { return [] }
            let id = JSONValue.string("\(projectID):\(kind):\(member)")
            // The project counts as known from its first membership (its creator as owner).
            var writes: [WriteOperation] = [
                .delete("project_views", filter: ["id": .string(projectID)]),
                .insert(["id": .string(projectID)], into: "project_views"),
                .delete("project_member_views", filter: ["id": id]),
            ]
            if let role = event.data["role"]?.stringValue {
                writes.append(
                    .insert(
                        [
                            "id": id, "projectId": .string(projectID), "memberId": .string(member),
                            "role": .string(role),
                        ], into: "project_member_views"))
            }
            return writes
        default:
            return []
        }
    }
}
