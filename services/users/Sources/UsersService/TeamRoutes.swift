import Auth
import Foundation
import Hummingbird
import Platform

/// Teams (`/v1/teams`): any user may create one and becomes its maintainer; maintainers add and
/// remove members; a member may leave; administrators may do all of it. Projects grant roles
/// to teams in the data service, which learns of members from `mlex.users` events.
enum TeamRoutes {
    static let team = Schema.object(
        [
            "id": Schema.id, "name": Schema.string, "description": Schema.string, "createdBy": Schema.id,
            "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime,
        ],
        required: ["id", "name", "createdBy", "createdAt"]
    )
    static let member = Schema.object(
        [
            "teamId": Schema.id, "userId": Schema.id, "role": Schema.enumeration(MemberRole.allCases.map(\.rawValue)),
            "addedBy": Schema.id, "addedAt": Schema.dateTime,
        ],
        required: ["teamId", "userId", "role", "addedAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: UsersCore) {
        api.schema("Team", team)
        api.schema("TeamMember", member)
        let teams = core.teams

        api.post(
            "/v1/teams",
            OperationDoc(
                "Create a team; its creator becomes its maintainer", tags: ["teams"],
                body: Schema.object(["name": Schema.string, "description": Schema.string], required: ["name"]),
                status: 201, response: Schema.ref("Team")
            )
        ) { request, context in
            let caller = try requireUser(context)
            let creation = try await request.decodeJSON(as: TeamCreation.self, context: context)
            return JSONResponse(
                try JSONValue(encoding: try await teams.create(creation, createdBy: caller.id)), status: .created)
        }

        api.get(
            "/v1/teams",
            OperationDoc(
                "The teams the caller is in, by id (administrators: every team)", tags: ["teams"],
                query: PageRequest.parameters(),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Team")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let caller = try requireUser(context)
            let page = try PageRequest(request)
            let found = try await teams.teams(
                of: caller.isAdmin ? nil : caller.id, limit: page.limit, after: page.after)
            return JSONResponse(page.response(try found.map { try JSONValue(encoding: $0) }))
        }

        api.get(
            "/v1/teams/{id}",
            OperationDoc(
                "A team and its members (members and administrators)", tags: ["teams"],
                response: Schema.object(
                    ["team": Schema.ref("Team"), "members": Schema.array(of: Schema.ref("TeamMember"))],
                    required: ["team", "members"])
            )
        ) { _, context in
            let (team, _) = try await visibleTeam(context, teams, needsMaintainer: false)
            let members = try await teams.members(of: team.id)
            return JSONResponse(try JSONValue(encoding: TeamWithMembers(team: team, members: members.map(\.member))))
        }

        api.put(
            "/v1/teams/{id}/members/{userId}",
            OperationDoc(
                "Add a user to the team, or change a member's role (maintainers and administrators)", tags: ["teams"],
                body: Schema.object(
                    ["role": Schema.enumeration(MemberRole.allCases.map(\.rawValue))], required: ["role"]),
                status: 200, response: Schema.ref("TeamMember")
            )
        ) { request, context in
            let (team, caller) = try await visibleTeam(context, teams, needsMaintainer: true)
            let userID = try context.parameters.requireID("userId")
            let change = try await request.decodeJSON(as: MemberChange.self, context: context)
            guard let user = try await core.directory.user(id: userID), !user.disabled else {
                throw APIError.notFound("no active user \(userID)", field: "userId")
            }
            let (membership, added) = try await teams.setMember(user.id, role: change.role, in: team.id, by: caller.id)
            return JSONResponse(try JSONValue(encoding: membership.member), status: added ? .created : .ok)
        }

        api.delete(
            "/v1/teams/{id}/members/{userId}",
            OperationDoc(
                "Remove a member (maintainers and administrators), or leave the team (the member)", tags: ["teams"],
                status: 204
            )
        ) { _, context in
            let userID = try context.parameters.requireID("userId")
            let leaving = try context.requirePrincipal().id == userID
            let (team, _) = try await visibleTeam(context, teams, needsMaintainer: !leaving)
            guard try await teams.removeMember(userID, from: team.id) else {
                throw APIError.notFound("\(userID) is not a member of this team", field: "userId")
            }
            // Its access tokens still name the team: make it refresh them now.
            core.verifier.claimsChanged(for: userID)
            return Response(status: .noContent)
        }

        api.delete(
            "/v1/teams/{id}",
            OperationDoc(
                "Delete a team and its memberships (maintainers and administrators)", tags: ["teams"], status: 204
            )
        ) { _, context in
            let (team, _) = try await visibleTeam(context, teams, needsMaintainer: true)
            let members = try await teams.delete(team)
            for member in members { core.verifier.claimsChanged(for: member.userId) }
            return Response(status: .noContent)
        }
    }

    /// Teams are for people: a service token has no teams to manage.
    private static func requireUser(_ context: AuthRequestContext) throws -> Principal {
        let principal = try context.requirePrincipal()
        guard principal.kind == .user else { throw APIError.forbidden("teams are managed by users") }
        return principal
    }

    /// The team of the path when the caller may see it (404 otherwise, as if it did not exist),
    /// and 403 when it needs a maintainer and the caller is only a member.
    private static func visibleTeam(
        _ context: AuthRequestContext, _ teams: TeamDirectory, needsMaintainer: Bool
    ) async throws -> (Team, Principal) {
        let caller = try requireUser(context)
        let id = try context.parameters.requireID("id")
        guard let team = try await teams.team(id: id) else { throw APIError.notFound("no team \(id)") }
        if caller.isAdmin { return (team, caller) }
        guard let membership = try await teams.membership(of: caller.id, in: id) else {
            throw APIError.notFound("no team \(id)")
        }
        if needsMaintainer, membership.role != .maintainer {
            throw APIError.forbidden("this needs a maintainer of the team")
        }
        return (team, caller)
    }
}
