import Auth
import Foundation
import Platform
import Store

/// Projects and their members in the data store, the authority for project roles (DESIGN.md
/// §2). A membership is its own document, id `<projectId>:<kind>:<memberId>`, so "which projects
/// may this user see" is one indexed find over the user's id and team ids. A trashed project
/// keeps everything until it is purged.
struct ProjectDirectory: MembershipSource {
    enum MemberKind: String, Codable, Sendable, CaseIterable {
        case user, team
    }

    let store: any DocumentStore
    let ledger: BlobLedger

    var entities: Entities {
        Entities(store: store, ledger: ledger, collection: "projects", entity: "project", scope: { .project($0) }, view: Self.view)
    }

    func project(id: String) async throws -> JSONValue? {
        try await store.get(id, from: "projects")
    }

    func role(of userID: String, teams: [String], in projectID: String) async throws -> ProjectRole? {
        let memberships = try await store.find("project_members", Query(filter: [
            "memberId": ["$in": .array(([userID] + teams).map(JSONValue.string))], "projectId": .string(projectID),
        ]))
        return memberships.compactMap { $0["role"]?.stringValue.flatMap(ProjectRole.init(rawValue:)) }.max()
    }

    /// Creates a project with its creator as owner.
    func create(name: String, description: String, by userID: String) async throws -> JSONValue {
        let now = Timestamp.now
        let id = ID.make()
        let project: JSONValue = [
            "id": .string(id), "name": .string(name), "description": .string(description), "lifecycle": "active",
            "createdBy": .string(userID), "createdAt": .string(now), "updatedAt": .string(now),
        ]
        let owner = Self.membership(project: id, kind: .user, member: userID, role: .owner, by: userID, at: now)
        try await store.batch([
            .insert(project, into: "projects"), .insert(owner, into: "project_members"),
            DataEvents.write("project.created", subject: id, Self.view(project)),
            DataEvents.write("project.member.changed", subject: id, Self.memberView(owner)),
        ])
        return project
    }

    /// Projects where `userID` or one of `teams` holds a role (every project for nil), by id.
    func projects(visibleTo member: (userID: String, teams: [String])?, lifecycle: String?, limit: Int, after: String?) async throws -> [JSONValue] {
        var filter: JSONValue = [:]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle) }
        if let member {
            let memberships = try await store.find("project_members", Query(filter: ["memberId": ["$in": .array(([member.userID] + member.teams).map(JSONValue.string))]]))
            let ids = Set(memberships.compactMap { $0["projectId"]?.stringValue }).sorted()
            guard !ids.isEmpty else { return [] }
            filter["id"] = ["$in": .array(ids.map(JSONValue.string))]
        }
        return try await store.find("projects", Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] }))
    }

    func members(of projectID: String) async throws -> [JSONValue] {
        try await store.find("project_members", Query(filter: ["projectId": .string(projectID)], sort: [.ascending("addedAt")]))
    }

    func membership(_ kind: MemberKind, _ memberID: String, in projectID: String) async throws -> JSONValue? {
        try await store.get(Self.membershipID(projectID, kind, memberID), from: "project_members")
    }

    /// Grants `role`, replacing any role the member had; returns the membership and whether it
    /// is new. Refuses to demote the last user owner, so a project never becomes unmanageable.
    func setMember(_ kind: MemberKind, _ memberID: String, role: ProjectRole, in projectID: String, by actor: String) async throws -> (JSONValue, Bool) {
        let existing = try await membership(kind, memberID, in: projectID)
        if existing?["role"]?.stringValue == role.rawValue { return (existing!, false) }
        if kind == .user, existing?["role"]?.stringValue == ProjectRole.owner.rawValue {
            try await requireAnotherOwner(than: memberID, in: projectID)
        }
        let membership = Self.membership(project: projectID, kind: kind, member: memberID, role: role, by: actor, at: Timestamp.now)
        let write: WriteOperation = existing == nil
            ? .insert(membership, into: "project_members")
            : .update("project_members", filter: ["id": membership["id"]!], update: ["$set": ["role": .string(role.rawValue), "addedBy": .string(actor)]], many: false)
        try await store.batch([write, DataEvents.write("project.member.changed", subject: projectID, Self.memberView(membership))])
        return (membership, existing == nil)
    }

    /// Removes a member; false when it was none.
    func removeMember(_ kind: MemberKind, _ memberID: String, from projectID: String) async throws -> Bool {
        guard let existing = try await membership(kind, memberID, in: projectID) else { return false }
        if kind == .user, existing["role"]?.stringValue == ProjectRole.owner.rawValue {
            try await requireAnotherOwner(than: memberID, in: projectID)
        }
        var removed = Self.memberView(existing)
        removed["role"] = .null
        try await store.batch([
            .delete("project_members", filter: ["id": existing["id"]!]),
            DataEvents.write("project.member.changed", subject: projectID, removed),
        ])
        return true
    }

    private func requireAnotherOwner(than userID: String, in projectID: String) async throws {
        let owners = try await store.count("project_members", filter: [
            "projectId": .string(projectID), "memberKind": "user", "role": "owner", "memberId": ["$ne": .string(userID)],
        ])
        guard owners > 0 else {
            throw APIError.conflict("a project keeps at least one user as owner; make someone else owner first", code: "last_owner", field: "role")
        }
    }

    static func membershipID(_ projectID: String, _ kind: MemberKind, _ memberID: String) -> String {
        "\(projectID):\(kind.rawValue):\(memberID)"
    }

    static func membership(project: String, kind: MemberKind, member: String, role: ProjectRole, by actor: String, at time: String) -> JSONValue {
        [
            "id": .string(membershipID(project, kind, member)), "projectId": .string(project), "memberKind": .string(kind.rawValue),
            "memberId": .string(member), "role": .string(role.rawValue), "addedBy": .string(actor), "addedAt": .string(time),
        ]
    }

    /// A project as clients and events see it.
    static func view(_ project: JSONValue) -> JSONValue {
        guard case .object(var members) = project else { return project }
        members["projectId"] = members["id"]
        return .object(members)
    }

    /// A membership as clients and events see it: the compound id is an internal key.
    static func memberView(_ membership: JSONValue) -> JSONValue {
        guard case .object(var members) = membership else { return membership }
        members.removeValue(forKey: "id")
        return .object(members)
    }
}
