import Auth
import Foundation
import Hummingbird
import Platform

/// `GET /v1/audit`: the platform's audit log. Administrators read every entry; a project's
/// owners read the entries of that project (`projectId` required); anyone else is refused.
/// Someone with no role on the project gets 404, as data answers for a project they cannot
/// see, so the log does not even confirm that the project exists.
enum AuditRoutes {
    static let actor = Schema.object(
        [
            "kind": Schema.enumeration(["user", "service", "anonymous"]), "id": Schema.string,
            "tokenId": Schema.string, "name": Schema.string, "email": Schema.string,
        ], required: ["kind"])

    static let entry = Schema.object(
        [
            "id": Schema.id, "time": Schema.dateTime, "service": Schema.string, "actor": Schema.ref("AuditActor"),
            "method": Schema.string, "route": Schema.string, "path": Schema.string, "entityId": Schema.string,
            "projectId": Schema.id, "status": Schema.integer,
            "result": Schema.enumeration(["ok", "denied", "failed"]), "remoteAddress": Schema.string,
            "peerAddress": Schema.string, "requestId": Schema.string,
        ],
        required: ["id", "time", "service", "actor", "method", "route", "path", "status", "result", "requestId"])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: UsersCore) {
        api.schema("AuditActor", actor)
        api.schema("AuditEntry", entry)
        api.get(
            "/v1/audit",
            OperationDoc(
                "Audit entries: every state-changing request of every service, newest first unless order=oldest; administrators read all, a project's owners that project's (projectId)",
                tags: ["audit"], query: AuditFilter.parameters + PageRequest.parameters(),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("AuditEntry")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            let filter = try AuditFilter(request)
            let page = try PageRequest(request)
            try await requireReader(principal, of: filter, request: request, core: core)
            return JSONResponse(
                page.response(try await core.auditLog.page(filter, limit: page.limit, after: page.after)))
        }
    }

    /// Admits administrators, and owners of the project the filter names.
    static func requireReader(
        _ principal: Principal, of filter: AuditFilter, request: Request, core: UsersCore
    ) async throws {
        if principal.isAdmin { return }
        guard principal.kind == .user else {
            throw APIError.forbidden("the audit log is read by administrators and project owners")
        }
        guard let projectID = filter.projectID else {
            throw APIError.forbidden(
                "only administrators read the whole audit log; give the projectId of a project you own")
        }
        let role = try await core.projectRoles.role(
            of: principal, on: projectID, bearerToken: TokenRoutes.bearer(request) ?? "")
        guard let role else { throw APIError.notFound("no project \(projectID)") }
        guard role == .owner else {
            throw APIError.forbidden("a project's audit log is read by its owners; you are \(role.rawValue)")
        }
    }
}
