import Auth
import Bus
import Logging
import Outbox
import Platform
import Store

/// A service's own copy of who holds which role on which project: data's `mlex.data` project and
/// membership events kept in `project_views` and `project_member_views` (projectId, memberId),
/// which the service declares in db/<domain>/. Shared by `ProjectMemberships` (services asking
/// data with their own token) and by users' audit log (asking with the caller's).
public struct MembershipReadModel: Sendable {
    let store: any DocumentStore

    public init(store: any DocumentStore) {
        self.store = store
    }

    /// nil when the model has not heard of the project yet (its event still on the way: ask
    /// data); else the highest role of `members` (a user and its teams), `.some(nil)` for none.
    public func role(ofAny members: [String], in projectID: String) async throws -> ProjectRole?? {
        guard try await store.get(projectID, from: "project_views") != nil else { return nil }
        let found = try await store.find(
            "project_member_views",
            Query(filter: ["projectId": .string(projectID), "memberId": ["$in": .array(members.map(JSONValue.string))]])
        )
        return .some(found.compactMap { $0["role"]?.stringValue.flatMap(ProjectRole.init(rawValue:)) }.max())
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
