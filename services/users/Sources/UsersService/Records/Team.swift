import Foundation
import Platform

/// A team, as the API and `mlex.users.team.*` events show it and the store keeps it (with
/// `nameKey` beside, see `document()`).
struct Team: Codable, Sendable {
    let id: String
    let name: String
    let description: String
    let createdBy: String
    let createdAt: String
    let updatedAt: String

    /// The store's document: the record and `nameKey`, the lowercased name that the unique index
    /// holds, so team names are unique case-insensitively.
    func document() throws -> JSONValue {
        var document = try JSONValue(encoding: self)
        document["nameKey"] = .string(name.lowercased())
        return document
    }
}

/// What a member may do in its team.
enum MemberRole: String, Codable, Sendable, CaseIterable {
    /// May add and remove members and delete the team.
    case maintainer
    case member
}

/// A user's membership of a team (`team_members`), as the store keeps it and `mlex.users`
/// events carry it. Its id, `<teamId>:<userId>`, makes adding someone twice one unique-key
/// conflict; the API leaves it out (`member`).
struct TeamMembership: Codable, Sendable {
    let id: String
    let teamId: String
    let userId: String
    var role: MemberRole
    let addedBy: String
    let addedAt: String

    var member: TeamMember {
        TeamMember(teamId: teamId, userId: userId, role: role, addedBy: addedBy, addedAt: addedAt)
    }
}

extension TeamMembership {
    init(team: String, user: String, role: MemberRole, by actor: String, at time: String) {
        self.init(id: "\(team):\(user)", teamId: team, userId: user, role: role, addedBy: actor, addedAt: time)
    }
}

/// A membership as the API shows it.
struct TeamMember: Codable, Sendable {
    let teamId: String
    let userId: String
    let role: MemberRole
    let addedBy: String
    let addedAt: String
}

/// `POST /v1/teams`: a name (trimmed, 1–100 characters) and a description (at most 2000).
struct TeamCreation: Sendable {
    let name: String
    let description: String
}

extension TeamCreation: Decodable {
    private struct Body: Decodable {
        let name: String
        let description: String?
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw APIError.invalidField("name", "a team name has 1–100 characters")
        }
        let description = body.description ?? ""
        guard description.count <= 2000 else {
            throw APIError.invalidField("description", "a description has at most 2000 characters")
        }
        self.init(name: name, description: description)
    }
}

/// `PUT /v1/teams/{id}/members/{userId}`: the role to give.
struct MemberChange: Decodable, Sendable {
    let role: MemberRole
}

/// `GET /v1/teams/{id}`: the team and its members.
struct TeamWithMembers: Encodable, Sendable {
    let team: Team
    let members: [TeamMember]
}
