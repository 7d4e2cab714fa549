import Auth
import Foundation
import Hummingbird
import Platform
import Store

/// Compute quotas (`/v1/quotas`): the defaults for every project and every user, and a
/// project's or a user's own limits, each read with what is used of it now. Administrators set
/// them; a project's viewers and a user themself read theirs. Storage quotas are data's
/// (`/api/data/v1/quotas/…`), the same shape.
enum QuotaRoutes {
    static let holderSchema = Schema.object(
        [
            "projectId": Schema.id, "userId": Schema.string, "own": ComputeLimits.schema,
            "limits": ComputeLimits.schema,
            "use": Schema.object([
                "month": Schema.string, "activeWorkers": Schema.integer, "cpuHours": Schema.number,
                "gpuHours": Schema.number,
            ]),
        ], required: ["own", "limits", "use"])
    static let defaultsSchema = Schema.object(["project": ComputeLimits.schema, "user": ComputeLimits.schema])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore) {
        api.get(
            "/v1/quotas/defaults",
            OperationDoc(
                "The compute limits of every project and every user that has none of its own: maxActiveWorkers (at once, a job counting once per worker), cpuHoursPerMonth and gpuHoursPerMonth (UTC calendar month); a missing value is no limit",
                tags: ["quotas"], response: defaultsSchema)
        ) { _, context in
            _ = try context.requirePrincipal()
            let book = try await QuotaBook.load(core)
            return JSONResponse(
                [
                    "project": try JSONValue(encoding: book.projectDefaults),
                    "user": try JSONValue(encoding: book.userDefaults),
                ]
                    as JSONValue)
        }

        api.put(
            "/v1/quotas/defaults",
            OperationDoc(
                "Set the default compute limits (administrators); replaces both sets, a missing value being no limit",
                tags: ["quotas"], body: defaultsSchema, response: defaultsSchema)
        ) { request, context in
            let principal = try context.requirePrincipal()
            try principal.requireAdmin()
            struct Defaults: Decodable {
                var project: ComputeLimits?
                var user: ComputeLimits?
            }
            let body = try await request.decodeJSON(as: Defaults.self, context: context)
            try body.project?.validate(field: "project.")
            try body.user?.validate(field: "user.")
            try await save(
                StoredQuota(
                    id: StoredQuota.defaultsID, project: body.project ?? .none, user: body.user ?? .none,
                    updatedAt: Timestamp.now, updatedBy: principal.id), core)
            return JSONResponse(
                [
                    "project": try JSONValue(encoding: body.project ?? .none),
                    "user": try JSONValue(encoding: body.user ?? .none),
                ]
                    as JSONValue)
        }

        for kind in ["projects", "users"] {
            api.get(
                "/v1/quotas/\(kind)/{id}",
                OperationDoc(
                    kind == "projects"
                        ? "A project's compute limits (`own`, and `limits` with the defaults applied) and its use now: workers active, CPU- and GPU-hours this month (viewers)"
                        : "A user's compute limits and use, as for a project (the user themself, `me`, or administrators)",
                    tags: ["quotas"], response: holderSchema)
            ) { _, context in
                let holder = try await readable(kind, context, core)
                return JSONResponse(try await view(holder, core))
            }

            api.put(
                "/v1/quotas/\(kind)/{id}",
                OperationDoc(
                    "Set this \(kind.dropLast())'s own compute limits (administrators); a missing value is the default's. Queued jobs a raise frees start at once",
                    tags: ["quotas"], body: ComputeLimits.schema, response: holderSchema)
            ) { request, context in
                let principal = try context.requirePrincipal()
                try principal.requireAdmin()
                let holder = try holder(kind, context)
                let limits = try await request.decodeJSON(as: ComputeLimits.self, context: context)
                try limits.validate(field: "")
                try await save(
                    StoredQuota(id: holder.key, limits: limits, updatedAt: Timestamp.now, updatedBy: principal.id), core
                )
                return JSONResponse(try await view(holder, core))
            }
        }
    }

    /// The holder of the path when the caller may read its quota: a project's viewers, a user
    /// themself (`me` included), administrators.
    static func readable(
        _ kind: String, _ context: AuthRequestContext, _ core: ComputeCore
    ) async throws
        -> QuotaHolder
    {
        let principal = try context.requirePrincipal()
        if kind == "users", context.parameters.get("id") == "me" { return .user(principal.id) }
        let holder = try holder(kind, context)
        switch holder {
        case .project(let id):
            try await core.authorizer.require(.viewer, on: id, for: principal)
        case .user(let id):
            guard principal.isAdmin || (principal.kind == .user && principal.id == id) else {
                throw APIError.notFound("no quota of user \(id) you may read")
            }
        }
        return holder
    }

    static func holder(_ kind: String, _ context: AuthRequestContext) throws -> QuotaHolder {
        let id = try context.parameters.requireID("id")
        return kind == "projects" ? .project(id) : .user(id)
    }

    /// Writes `quota` over the stored one and wakes the scheduler: a raise may free queued jobs.
    static func save(_ quota: StoredQuota, _ core: ComputeCore) async throws {
        try await core.store.batch([
            .delete(StoredQuota.collection, filter: ["id": .string(quota.id)]),
            .insert(try quota.document(), into: StoredQuota.collection),
        ])
        core.wakeups.signal(Scheduler.topic)
    }

    static func view(_ holder: QuotaHolder, _ core: ComputeCore) async throws -> JSONValue {
        let book = try await QuotaBook.load(core)
        var gate = QuotaGate(
            book: book, store: core.store, active: try await core.jobs.allocations(["state": JobState.activeValues]),
            now: Date())
        var view: JSONValue = [
            "own": try JSONValue(encoding: book.own[holder] ?? .none),
            "limits": try JSONValue(encoding: book.limits(of: holder)),
            "use": try await gate.use(of: holder).view(),
        ]
        view[holder.kind == "project" ? "projectId" : "userId"] = .string(holder.id)
        return view
    }
}
