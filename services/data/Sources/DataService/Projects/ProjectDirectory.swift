import Auth
import Foundation
import Platform
import Store

/// Projects and their members in the data store, the authority for project roles (docs/design.md
/// §2). A trashed project keeps everything until it is purged.
struct ProjectDirectory: MembershipSource {
    let store: any DocumentStore
    let ledger: BlobLedger

    var entities: Entities<Project> { Entities(store: store, ledger: ledger) }

    func project(id: String) async throws -> Project? {
        try await store.get(id, from: Project.collection).map(Project.init(document:))
    }

    func role(of userID: String, teams: [String], in projectID: String) async throws -> ProjectRole? {
        let memberships = try await store.find(
            "project_members",
            Query(filter: [
                "memberId": ["$in": .array(([userID] + teams).map(JSONValue.string))], "projectId": .string(projectID),
            ]))
        return try memberships.map { try ProjectMember(document: $0).role }.max()
    }

    /// Stores a new project with its creator as owner.
    func create(_ project: Project) async throws {
        let owner = ProjectMember(
            project: project.id, kind: .user, member: project.createdBy, role: .owner, by: project.createdBy,
            at: project.createdAt)
        try await store.batch([
            .insert(try project.document(), into: Project.collection),
            .insert(try owner.document(), into: "project_members"),
            DataEvents.write("project.created", subject: project.id, try project.view()),
            DataEvents.write("project.member.changed", subject: project.id, try owner.view()),
        ])
    }

    /// Projects where `userID` or one of `teams` holds a role (every project for nil), by id.
    func projects(
        visibleTo member: (userID: String, teams: [String])?, lifecycle: Lifecycle?, limit: Int, after: String?
    ) async throws -> [Project] {
        var filter: JSONValue = [:]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        if let member {
            let memberships = try await store.find(
                "project_members",
                Query(filter: ["memberId": ["$in": .array(([member.userID] + member.teams).map(JSONValue.string))]]))
            let ids = Set(try memberships.map { try ProjectMember(document: $0).projectId }).sorted()
            guard !ids.isEmpty else { return [] }
            filter["id"] = ["$in": .array(ids.map(JSONValue.string))]
        }
        return try await store.find(
            Project.collection,
            Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] })
        )
        .map(Project.init(document:))
    }

    func members(of projectID: String) async throws -> [ProjectMember] {
        try await store.find(
            "project_members", Query(filter: ["projectId": .string(projectID)], sort: [.ascending("addedAt")])
        )
        .map(ProjectMember.init(document:))
    }

    func membership(_ kind: ProjectMember.Kind, _ memberID: String, in projectID: String) async throws -> ProjectMember?
    {
        try await store.get(ProjectMember.id(projectID, kind, memberID), from: "project_members").map(
            ProjectMember.init(document:))
    }

    /// Grants `role`, replacing any role the member had; returns the membership and whether it
    /// is new. Refuses to demote the last user owner, so a project never becomes unmanageable.
    func setMember(
        _ kind: ProjectMember.Kind, _ memberID: String, role: ProjectRole, in projectID: String, by actor: String
    ) async throws -> (ProjectMember, added: Bool) {
        let existing = try await membership(kind, memberID, in: projectID)
        if let existing, existing.role == role { return (existing, false) }
        if kind == .user, existing?.role == .owner {
            try await requireAnotherOwner(than: memberID, in: projectID)
        }
        let membership = ProjectMember(
            project: projectID, kind: kind, member: memberID, role: role, by: actor, at: Timestamp.now)
        let write: WriteOperation =
            existing == nil
            ? .insert(try membership.document(), into: "project_members")
            : .update(
                "project_members", filter: ["id": .string(membership.id)],
                update: ["$set": ["role": .string(role.rawValue), "addedBy": .string(actor)]], many: false)
        try await store.batch([
            write, DataEvents.write("project.member.changed", subject: projectID, try membership.view()),
        ])
        return (membership, existing == nil)
    }

    /// Removes a member; false when it was none.
    func removeMember(_ kind: ProjectMember.Kind, _ memberID: String, from projectID: String) async throws -> Bool {
        guard let existing = try await membership(kind, memberID, in: projectID) else { return false }
        if kind == .user, existing.role == .owner {
            try await requireAnotherOwner(than: memberID, in: projectID)
        }
        // The event of a revoked role says so with a null role.
        var removed = try existing.view()
        removed["role"] = .null
        try await store.batch([
            .delete("project_members", filter: ["id": .string(existing.id)]),
            DataEvents.write("project.member.changed", subject: projectID, removed),
        ])
        return true
    }

    private func requireAnotherOwner(than userID: String, in projectID: String) async throws {
        let owners = try await store.count(
            "project_members",
            filter: [
                "projectId": .string(projectID), "memberKind": "user", "role": "owner",
                "memberId": ["$ne": .string(userID)],
            ])
        guard owners > 0 else {
            throw APIError.conflict(
                "a project keeps at least one user as owner; make someone else owner first", code: "last_owner",
                field: "role")
        }
    }
}
