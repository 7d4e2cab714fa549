import Bus
import Foundation
import Outbox
import Platform
import Store

/// Teams and their members in the users store. A membership is its own document, id
/// `<teamId>:<userId>`, so adding someone twice is one unique-key conflict rather than a
/// duplicate in an array, and "which teams is this user in" is one indexed find. Each change
/// goes out on `mlex.users` in the same batch (team.created, team.member.added, …).
struct TeamDirectory: Sendable {
    let store: any DocumentStore

    func team(id: String) async throws -> Team? {
        try await store.get(id, from: "teams")?.decoded(as: Team.self)
    }

    /// Creates a team with its creator as the first maintainer.
    func create(_ creation: TeamCreation, createdBy userID: String) async throws -> Team {
        let now = Timestamp.now
        let team = Team(
            id: ID.make(), name: creation.name, description: creation.description, createdBy: userID, createdAt: now,
            updatedAt: now)
        let membership = TeamMembership(team: team.id, user: userID, role: .maintainer, by: userID, at: now)
        do {
            try await store.batch([
                .insert(try team.document(), into: "teams"),
                .insert(try JSONValue(encoding: membership), into: "team_members"),
                event("team.created", subject: team.id, try JSONValue(encoding: team)),
                event("team.member.added", subject: team.id, try JSONValue(encoding: membership)),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict("a team with this name exists", code: "name_taken", field: "name")
        }
        return team
    }

    /// Teams `userID` belongs to (every team for nil), by id.
    func teams(of userID: String?, limit: Int, after: String?) async throws -> [Team] {
        guard let userID else {
            return try await store.find("teams", Query(limit: limit, after: after.map { ["id": .string($0)] })).map {
                try $0.decoded(as: Team.self)
            }
        }
        var filter: JSONValue = ["userId": .string(userID)]
        if let after { filter["teamId"] = ["$gt": .string(after)] }
        let memberships = try await store.find(
            "team_members", Query(filter: filter, sort: [.ascending("teamId")], limit: limit))
        let ids = memberships.compactMap { $0["teamId"] }
        guard !ids.isEmpty else { return [] }
        return try await store.find("teams", Query(filter: ["id": ["$in": .array(ids)]], sort: [.ascending("id")])).map
        { try $0.decoded(as: Team.self) }
    }

    /// The ids of every team `userID` is in: what access tokens carry as `teams`.
    func teamIDs(of userID: String) async throws -> [String] {
        try await store.find("team_members", Query(filter: ["userId": .string(userID)], sort: [.ascending("teamId")]))
            .compactMap { $0["teamId"]?.stringValue }
    }

    func members(of teamID: String) async throws -> [TeamMembership] {
        try await store.find("team_members", Query(filter: ["teamId": .string(teamID)], sort: [.ascending("addedAt")]))
            .map { try $0.decoded(as: TeamMembership.self) }
    }

    func membership(of userID: String, in teamID: String) async throws -> TeamMembership? {
        try await store.get("\(teamID):\(userID)", from: "team_members")?.decoded(as: TeamMembership.self)
    }

    /// Adds `userID` with `role`, or changes the role of a member. Returns the membership and
    /// whether it is new.
    func setMember(
        _ userID: String, role: MemberRole, in teamID: String, by actor: String
    ) async throws -> (membership: TeamMembership, added: Bool) {
        if var existing = try await membership(of: userID, in: teamID) {
            guard existing.role != role else { return (existing, false) }
            if role == .member { try await requireAnotherMaintainer(than: userID, in: teamID) }
            existing.role = role
            try await store.batch([
                .update(
                    "team_members", filter: ["id": .string(existing.id)],
                    update: ["$set": ["role": .string(role.rawValue)]], many: false),
                event("team.member.changed", subject: teamID, try JSONValue(encoding: existing)),
            ])
            return (existing, false)
        }
        let membership = TeamMembership(team: teamID, user: userID, role: role, by: actor, at: Timestamp.now)
        do {
            try await store.batch([
                .insert(try JSONValue(encoding: membership), into: "team_members"),
                event("team.member.added", subject: teamID, try JSONValue(encoding: membership)),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            // Added by someone else a moment ago: the outcome asked for holds.
            return (try await self.membership(of: userID, in: teamID) ?? membership, false)
        }
        return (membership, true)
    }

    /// Removes a member; false when `userID` was not one. The last maintainer cannot leave.
    func removeMember(_ userID: String, from teamID: String) async throws -> Bool {
        guard let existing = try await membership(of: userID, in: teamID) else { return false }
        if existing.role == .maintainer {
            try await requireAnotherMaintainer(than: userID, in: teamID)
        }
        try await store.batch([
            .delete("team_members", filter: ["id": .string(existing.id)]),
            event("team.member.removed", subject: teamID, try JSONValue(encoding: existing)),
        ])
        return true
    }

    /// Deletes a team and its memberships, each member's removal announced before the team's
    /// deletion, so consumers that track members need no special case. Returns the members.
    @discardableResult
    func delete(_ team: Team) async throws -> [TeamMembership] {
        let members = try await members(of: team.id)
        try await store.batch(
            [
                .delete("team_members", filter: ["teamId": .string(team.id)]),
                .delete("teams", filter: ["id": .string(team.id)]),
            ]
                + members.map { event("team.member.removed", subject: team.id, try JSONValue(encoding: $0)) }
                + [event("team.deleted", subject: team.id, try JSONValue(encoding: team))]
        )
        return members
    }

    private func requireAnotherMaintainer(than userID: String, in teamID: String) async throws {
        let maintainers = try await store.count(
            "team_members", filter: ["teamId": .string(teamID), "role": .string(MemberRole.maintainer.rawValue)])
        guard maintainers > 1 else {
            throw APIError.conflict(
                "a team keeps at least one maintainer; make another member maintainer first", code: "last_maintainer",
                field: "userId")
        }
    }

    private func event(_ verb: String, subject: String, _ data: JSONValue) -> WriteOperation {
        Outbox.write(
            CloudEvent(source: "/mlex/users", type: "mlex.users.\(verb)", subject: subject, data: data),
            to: UserDirectory.topic)
    }
}
