import Auth
import Platform
import Store

/// A role on a project held by a user or a team (`project_members`). Its id is
/// `<projectId>:<kind>:<memberId>`, so a new grant finds the one it replaces, and "which
/// projects may this user see" is one indexed find over the user's id and team ids.
struct ProjectMember: StoredRecord, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        case user, team
    }

    let id: String
    let projectId: String
    let memberKind: Kind
    let memberId: String
    var role: ProjectRole
    var addedBy: String
    var addedAt: String
}

extension ProjectMember {
    init(
        project projectID: String, kind: Kind, member memberID: String, role: ProjectRole, by actor: String,
        at time: String
    ) {
        self.init(
            id: Self.id(projectID, kind, memberID), projectId: projectID, memberKind: kind, memberId: memberID,
            role: role, addedBy: actor, addedAt: time
        )
    }

    static func id(_ projectID: String, _ kind: Kind, _ memberID: String) -> String {
        "\(projectID):\(kind.rawValue):\(memberID)"
    }

    /// As clients and events see it: the compound id is an internal key.
    func view() throws -> JSONValue {
        var view = try document()
        view["id"] = nil
        return view
    }
}

/// `PUT /v1/projects/{id}/members/{kind}/{memberId}`: the role to grant.
struct MemberGrant: Decodable {
    let role: ProjectRole
}
