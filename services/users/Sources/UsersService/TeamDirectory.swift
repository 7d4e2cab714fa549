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
    enum MemberRole: String, Codable, Sendable, CaseIterable {
        /// May add and remove members and delete the team.
        case maintainer
        case member
    }

    let store: any DocumentStore

    func team(id: String) async throws -> JSONValue? {
        try await store.get(id, from: "teams")
    }

    /// Creates a team with its creator as the first maintainer.
    func create(name: String, description: String, createdBy userID: String) async throws -> JSONValue {
        let now = Timestamp.now
        let team: JSONValue = [
            "id": .string(ID.make()), "name": .string(name), "nameKey": .string(name.lowercased()), "description": .string(description),
            "createdBy": .string(userID), "createdAt": .string(now), "updatedAt": .string(now),
        ]
        let membership = Self.membership(team: team["id"]!.stringValue!, user: userID, role: .maintainer, by: userID, at: now)
        do {
            try await store.batch([
                .insert(team, into: "teams"), .insert(membership, into: "team_members"),
                event("team.created", subject: team["id"]!.stringValue!, Self.view(team)),
                event("team.member.added", subject: team["id"]!.stringValue!, membership),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict("a team with this name exists", code: "name_taken", field: "name")
        }
        return team
    }

    /// Teams `userID` belongs to (every team for nil), by id.
    func teams(of userID: String?, limit: Int, after: String?) async throws -> [JSONValue] {
        guard let userID else {
            return try await store.find("teams", Query(limit: limit, after: after.map { ["id": .string($0)] }))
        }
        var filter: JSONValue = ["userId": .string(userID)]
        if let after { filter["teamId"] = ["$gt": .string(after)] }
        let memberships = try await store.find("team_members", Query(filter: filter, sort: [.ascending("teamId")], limit: limit))
        let ids = memberships.compactMap { $0["teamId"] }
        guard !ids.isEmpty else { return [] }
        return try await store.find("teams", Query(filter: ["id": ["$in": .array(ids)]], sort: [.ascending("id")]))
    }

    /// The ids of every team `userID` is in: what access tokens carry as `teams`.
    func teamIDs(of userID: String) async throws -> [String] {
        try await store.find("team_members", Query(filter: ["userId": .string(userID)], sort: [.ascending("teamId")])).compactMap { $0["teamId"]?.stringValue }
    }

    func members(of teamID: String) async throws -> [JSONValue] {
        try await store.find("team_members", Query(filter: ["teamId": .string(teamID)], sort: [.ascending("addedAt")]))
    }

    func membership(of userID: String, in teamID: String) async throws -> JSONValue? {
        try await store.get("\(teamID):\(userID)", from: "team_members")
    }

    /// Adds `userID` with `role`, or changes the role of a member. Returns the membership and
    /// whether it is new.
    func setMember(_ userID: String, role: MemberRole, in teamID: String, by actor: String) async throws -> (membership: JSONValue, added: Bool) {
        if var existing = try await membership(of: userID, in: teamID) {
            guard existing["role"]?.stringValue != role.rawValue else { return (existing, false) }
            if role == .member { try await requireAnotherMaintainer(than: userID, in: teamID) }
            existing["role"] = .string(role.rawValue)
            try await store.batch([
                .update("team_members", filter: ["id": existing["id"]!], update: ["$set": ["role": .string(role.rawValue)]], many: false),
                event("team.member.changed", subject: teamID, existing),
            ])
            return (existing, false)
        }
        let membership = Self.membership(team: teamID, user: userID, role: role, by: actor, at: Timestamp.now)
        do {
            try await store.batch([.insert(membership, into: "team_members"), event("team.member.added", subject: teamID, membership)])
        } catch let error as StoreError where error.code == .duplicate {
            // Added by someone else a moment ago: the outcome asked for holds.
            return (try await self.membership(of: userID, in: teamID) ?? membership, false)
        }
        return (membership, true)
    }

    /// Removes a member; false when `userID` was not one. The last maintainer cannot leave.
    func removeMember(_ userID: String, from teamID: String) async throws -> Bool {
        guard let existing = try await membership(of: userID, in: teamID) else { return false }
        if existing["role"]?.stringValue == MemberRole.maintainer.rawValue {
            try await requireAnotherMaintainer(than: userID, in: teamID)
        }
        try await store.batch([
            .delete("team_members", filter: ["id": existing["id"]!]),
            event("team.member.removed", subject: teamID, existing),
        ])
        return true
    }

    /// Deletes a team and its memberships, each member's removal announced before the team's
    /// deletion, so consumers that track members need no special case. Returns the members.
    @discardableResult
    func delete(_ team: JSONValue) async throws -> [JSONValue] {
        guard let id = team["id"]?.stringValue else { return [] }
        let members = try await members(of: id)
        try await store.batch(
            [.delete("team_members", filter: ["teamId": .string(id)]), .delete("teams", filter: ["id": .string(id)])]
                + members.map { event("team.member.removed", subject: id, $0) }
                + [event("team.deleted", subject: id, Self.view(team))]
        )
        return members
    }

    private func requireAnotherMaintainer(than userID: String, in teamID: String) async throws {
        let maintainers = try await store.count("team_members", filter: ["teamId": .string(teamID), "role": .string(MemberRole.maintainer.rawValue)])
        guard maintainers > 1 else {
            throw APIError.conflict("a team keeps at least one maintainer; make another member maintainer first", code: "last_maintainer", field: "userId")
        }
    }

    static func view(_ team: JSONValue) -> JSONValue {
        guard case .object(var members) = team else { return team }
        members.removeValue(forKey: "nameKey")
        return .object(members)
    }

    private static func membership(team: String, user: String, role: MemberRole, by actor: String, at time: String) -> JSONValue {
        ["id": .string("\(team):\(user)"), "teamId": .string(team), "userId": .string(user), "role": .string(role.rawValue), "addedBy": .string(actor), "addedAt": .string(time)]
    }

    private func event(_ verb: String, subject: String, _ data: JSONValue) -> WriteOperation {
        Outbox.write(CloudEvent(source: "/mlex/users", type: "mlex.users.\(verb)", subject: subject, data: data), to: UserDirectory.topic)
    }
}
