import Auth
import Foundation
import Hummingbird
import Platform
import Store

/// The templates API (`/v1/templates`): listed for every caller (global ones and those of the
/// projects they can view), managed by administrators (global) and project owners (their
/// project's).
enum TemplateRoutes {
    static let resourcesSchema = Schema.object([
        "cpus": Schema.number, "memoryMB": Schema.integer, "gpus": Schema.integer, "diskMB": Schema.integer,
    ])
    static let boundsSchema = Schema.object(["min": Schema.number, "max": Schema.number])
    static let bodyProperties: [String: JSONValue] = [
        "name": Schema.string, "description": Schema.string, "image": Schema.string,
        "runtime": Schema.enumeration([JobTemplate.hostRuntime]),
        "setup": Schema.array(of: Schema.string), "env": Schema.anyObject, "defaultResources": resourcesSchema,
        "ranges": Schema.object([
            "cpus": boundsSchema, "memoryMB": boundsSchema, "gpus": boundsSchema, "diskMB": boundsSchema,
        ]), "projectId": Schema.id,
    ]
    static let templateSchema = Schema.object(
        bodyProperties.merging([
            "id": Schema.id, "createdBy": Schema.string, "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime,
        ]) { $1 },
        required: ["id", "name", "defaultResources", "createdAt"]
    )
    static let bodySchema = Schema.object(bodyProperties, required: ["name"])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore) {
        api.schema("Template", templateSchema)
        let templates = TemplateDirectory(core: core)

        api.get(
            "/v1/templates",
            OperationDoc(
                "Templates the caller may use, oldest first: every global one and those of the projects the caller can view; with projectId, the global ones and that project's (its viewers)",
                tags: ["templates"],
                query: PageRequest.parameters(maxLimit: 500, defaultLimit: 100) + [
                    .init("projectId", Schema.id, "only templates this project may use")
                ],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Template")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            let page = try PageRequest(request, maxLimit: 500, defaultLimit: 100)
            var filter: JSONValue = [:]
            if let project = request.uri.queryParameters.get("projectId") {
                guard ID.isValid(project) else { throw APIError.invalidField("projectId", "projectId is an id") }
                try await core.authorizer.require(.viewer, on: project, for: principal)
                filter = ["$or": [["projectId": .null], ["projectId": .string(project)]]]
            }
            return JSONResponse(
                page.response(try await visiblePage(filter, page, principal, templates).map { try $0.document() }))
        }

        api.get(
            "/v1/templates/{name}",
            OperationDoc(
                "A template (global ones for everyone; a project's for its viewers)", tags: ["templates"],
                response: Schema.ref("Template"))
        ) { _, context in
            JSONResponse(
                try await templates.visible(context.parameters.get("name") ?? "", to: try context.requirePrincipal()))
        }

        api.post(
            "/v1/templates",
            OperationDoc(
                "Create a template: global (administrators) or, with projectId, the project's own (its owners). Exactly one of image or runtime \"host\"; names are unique over all templates (409)",
                tags: ["templates"],
                body: bodySchema, status: 201, response: Schema.ref("Template")
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            let template = try await request.decodeJSON(as: JobTemplate.self, context: context)
            try template.validate(defaultDiskMB: core.settings.defaultDiskMB)
            try await templates.requireManager(of: template.projectId, principal)
            return JSONResponse(try await templates.create(template, by: principal.id), status: .created)
        }

        api.put(
            "/v1/templates/{name}",
            OperationDoc(
                "Replace a template (the same rights as creating it, on its old project and its new one); jobs already submitted keep what they resolved",
                tags: ["templates"],
                body: bodySchema, response: Schema.ref("Template")
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            let existing = try await templates.visible(context.parameters.get("name") ?? "", to: principal)
            let template = try await request.decodeJSON(as: JobTemplate.self, context: context)
            try template.validate(defaultDiskMB: core.settings.defaultDiskMB)
            guard template.name == existing.template.name else {
                throw APIError.invalidField("name", "a template keeps its name; create one under the new name instead")
            }
            try await templates.requireManager(of: existing.template.projectId, principal)
            try await templates.requireManager(of: template.projectId, principal)
            return JSONResponse(try await templates.replace(existing, with: template))
        }

        api.delete(
            "/v1/templates/{name}",
            OperationDoc(
                "Delete a template (administrators for global ones, owners for their project's); jobs that used it keep what they resolved, reruns naming it are refused",
                tags: ["templates"],
                status: 204
            )
        ) { _, context in
            let principal = try context.requirePrincipal()
            let existing = try await templates.visible(context.parameters.get("name") ?? "", to: principal)
            try await templates.requireManager(of: existing.template.projectId, principal)
            try await templates.delete(existing)
            return Response(status: .noContent)
        }
    }

    /// One page of the templates matching `filter` that the caller can see. Visibility depends on
    /// the caller's roles, which the store cannot filter by, so the scan goes on past hidden
    /// templates until the page is full (each project's role is asked once).
    private static func visiblePage(
        _ filter: JSONValue, _ page: PageRequest, _ principal: Principal, _ templates: TemplateDirectory
    ) async throws -> [TemplateRecord] {
        var items: [TemplateRecord] = []
        var seen: [String: Bool] = [:]
        var after = page.after
        while true {
            let batch = try await templates.page(filter, after: after, limit: page.limit)
            for template in batch {
                let project = template.template.projectId
                let visible: Bool
                if let project, let known = seen[project] {
                    visible = known
                } else {
                    visible = try await templates.canSee(template, principal)
                    if let project { seen[project] = visible }
                }
                if visible { items.append(template) }
                if items.count == page.limit { return items }
            }
            guard batch.count == page.limit, let last = batch.last?.id else { return items }
            after = last
        }
    }
}
