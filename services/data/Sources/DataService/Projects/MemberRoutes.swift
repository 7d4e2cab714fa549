import Auth
import Foundation
import Hummingbird
import Platform

/// Project members (`/v1/projects/{id}/members`): a user or a team with a role. Viewers list
/// them, owners grant and revoke, and any member may leave.
enum MemberRoutes {
    static let member = Schema.object(
        [
            "projectId": Schema.id, "memberKind": Schema.enumeration(ProjectMember.Kind.allCases.map(\.rawValue)),
            "memberId": Schema.id,
            "role": Schema.enumeration(ProjectRole.allCases.map(\.rawValue)), "addedBy": Schema.id,
            "addedAt": Schema.dateTime,
        ],
        required: ["projectId", "memberKind", "memberId", "role", "addedAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("ProjectMember", member)
        let projects = core.projects

        api.get(
            "/v1/projects/{id}/members",
            OperationDoc(
                "The project's members, users and teams, in the order they were added (viewers)", tags: ["projects"],
                response: Schema.object(["items": Schema.array(of: Schema.ref("ProjectMember"))], required: ["items"])
            )
        ) { _, context in
            let (found, _) = try await core.project(try context.parameters.requireID("id"), context, needs: .viewer)
            let members = try await projects.members(of: found.id)
            return JSONResponse(["items": .array(try members.map { try $0.view() })] as JSONValue)
        }

        api.put(
            "/v1/projects/{id}/members/{kind}/{memberId}",
            OperationDoc(
                "Grant a user (kind `user`) or a team (kind `team`) a role, replacing any it had (owners)",
                tags: ["projects"],
                body: Schema.object(
                    ["role": Schema.enumeration(ProjectRole.allCases.map(\.rawValue))], required: ["role"]),
                response: Schema.ref("ProjectMember")
            )
        ) { request, context in
            let (found, _) = try await core.project(try context.parameters.requireID("id"), context, needs: .owner)
            let (kind, memberID) = try memberOfPath(context)
            let grant = try await request.decodeJSON(as: MemberGrant.self, context: context)
            let (membership, added) = try await projects.setMember(
                kind, memberID, role: grant.role, in: found.id, by: try context.requirePrincipal().id)
            return JSONResponse(try membership.view(), status: added ? .created : .ok)
        }

        api.delete(
            "/v1/projects/{id}/members/{kind}/{memberId}",
            OperationDoc(
                "Revoke a member's role (owners), or leave the project (the user itself)", tags: ["projects"],
                status: 204
            )
        ) { _, context in
            let (kind, memberID) = try memberOfPath(context)
            let callerID = try context.requirePrincipal().id
            let leaving = kind == .user && callerID == memberID
            let (found, _) = try await core.project(
                try context.parameters.requireID("id"), context, needs: leaving ? .viewer : .owner, trashed: true)
            guard try await projects.removeMember(kind, memberID, from: found.id) else {
                throw APIError.notFound("\(memberID) is not a member of this project", field: "memberId")
            }
            return Response(status: .noContent)
        }
    }

    private static func memberOfPath(_ context: AuthRequestContext) throws -> (ProjectMember.Kind, String) {
        guard let kind = context.parameters.get("kind").flatMap(ProjectMember.Kind.init(rawValue:)) else {
            throw APIError.notFound("a member is a user or a team", field: "kind")
        }
        return (kind, try context.parameters.requireID("memberId"))
    }
}
