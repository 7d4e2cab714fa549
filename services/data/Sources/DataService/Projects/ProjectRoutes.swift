import Auth
import Foundation
import Hummingbird
import Platform

/// Projects (`/v1/projects`): any user may create one and becomes its owner; viewers read,
/// editors change its name and description, owners trash, restore and purge it.
enum ProjectRoutes {
    static let project = Schema.object(
        [
            "id": Schema.id, "projectId": Schema.id, "name": Schema.string, "description": Schema.string,
            "lifecycle": Schema.enumeration(Lifecycle.allCases.map(\.rawValue)), "createdBy": Schema.id,
            "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime, "trashedAt": Schema.dateTime,
            "trashRetentionDays": Schema.integer,
        ],
        required: ["id", "name", "lifecycle", "createdBy", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("Project", project)
        let projects = core.projects

        api.post(
            "/v1/projects",
            OperationDoc(
                "Create a project; its creator becomes its owner", tags: ["projects"],
                body: NamedCreation.schema, status: 201, response: Schema.ref("Project")
            )
        ) { request, context in
            let caller = try context.requirePrincipal()
            guard caller.kind == .user else { throw APIError.forbidden("projects are created by users") }
            let (name, description) = try await request.decodeJSON(as: NamedCreation.self, context: context).validated()
            let created = Project(name: name, description: description, createdBy: caller.id)
            try await projects.create(created)
            return JSONResponse(try created.view(), status: .created)
        }

        api.get(
            "/v1/projects",
            OperationDoc(
                "The projects the caller holds a role on, by id (administrators: every project)", tags: ["projects"],
                query: PageRequest.parameters() + [Lifecycle.viewParameter],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Project")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let caller = try context.requirePrincipal()
            let page = try PageRequest(request)
            let lifecycle = try Lifecycle.view(request)
            let member: (userID: String, teams: [String])?
            switch caller.kind {
            case .user:
                member = caller.isAdmin ? nil : (caller.id, caller.teams)
            case .service:
                guard !caller.scopes.isDisjoint(with: [Authorizer.readScope, Authorizer.writeScope]) else {
                    throw APIError.forbidden("listing projects needs the projects.read scope")
                }
                member = nil
            }
            let found = try await projects.projects(
                visibleTo: member, lifecycle: lifecycle, limit: page.limit, after: page.after)
            return JSONResponse(page.response(try found.map { try $0.view() }))
        }

        api.get(
            "/v1/projects/{id}",
            OperationDoc(
                "A project, with the caller's role on it (viewers; also when it is in the trash)", tags: ["projects"],
                response: Schema.ref("Project")
            )
        ) { _, context in
            let (found, role) = try await core.project(try context.parameters.requireID("id"), context, needs: .viewer)
            var view = try found.view()
            view["yourRole"] = .string(role.rawValue)
            return JSONResponse(view)
        }

        api.patch(
            "/v1/projects/{id}",
            OperationDoc(
                "Rename a project or change its description (editors), or set how many days its trash keeps things before purging them, `trashRetentionDays` (owners; null: the platform's default)",
                tags: ["projects"], body: ProjectChange.schema, response: Schema.ref("Project")
            )
        ) { request, context in
            let (found, role) = try await core.project(
                try context.parameters.requireID("id"), context, needs: .editor)
            let body = try await request.decodeJSON(as: ProjectChange.self, context: context)
            if body.changesRetention, role < .owner {
                throw APIError.forbidden("only the project's owners set how long its trash keeps things")
            }
            guard let changed = try body.applied(to: found) else { return JSONResponse(try found.view()) }
            return JSONResponse(try await projects.entities.update(found, to: changed, verb: "updated").view())
        }

        api.delete(
            "/v1/projects/{id}",
            OperationDoc(
                "Move a project to the trash, or with purge=true delete a trashed project and everything in it (owners)",
                tags: ["projects"],
                query: [OperationDoc.purgeParameter], response: OperationDoc.freedBytes
            )
        ) { request, context in
            let (found, _) = try await core.project(
                try context.parameters.requireID("id"), context, needs: .owner, trashed: true)
            return JSONResponse(
                ["freedBytes": .int(try await projects.entities.remove(found, purge: request.wantsPurge))] as JSONValue)
        }

        api.post(
            "/v1/projects/{id}/restore",
            OperationDoc(
                "Take a project out of the trash (owners)", tags: ["projects"], response: Schema.ref("Project")
            )
        ) { _, context in
            let (found, _) = try await core.project(
                try context.parameters.requireID("id"), context, needs: .owner, trashed: true)
            return JSONResponse(try await projects.entities.restore(found).view())
        }

        MemberRoutes.register(api, core)
    }
}
