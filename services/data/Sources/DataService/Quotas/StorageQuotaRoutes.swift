import Auth
import Foundation
import Hummingbird
import Platform

/// Storage quotas (`/v1/quotas`, the same shape as compute's): the default for every project
/// and a project's own, each read with what the project uses now; and a project's storage
/// over time (`/v1/projects/{id}/storage`). Administrators set quotas; viewers read theirs.
enum StorageQuotaRoutes {
    static let limitsSchema = Schema.object(["storageBytes": Schema.integer])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore, samples: StorageSamples) {
        let quotas = core.storage

        api.get(
            "/v1/quotas/defaults",
            OperationDoc(
                "The storage quota of every project that has none of its own, in bytes (no `storageBytes`: no limit)",
                tags: ["quotas"], response: limitsSchema)
        ) { _, context in
            _ = try context.requirePrincipal()
            return JSONResponse(limits(try await quotas.stored(StorageQuotas.defaultsID)))
        }

        api.put(
            "/v1/quotas/defaults",
            OperationDoc(
                "Set the default storage quota (administrators); no `storageBytes` (or null) is no limit",
                tags: ["quotas"], body: limitsSchema, response: limitsSchema)
        ) { request, context in
            let principal = try context.requirePrincipal()
            try principal.requireAdmin()
            let bytes = try await storageBytes(request, context)
            try await quotas.set(StorageQuotas.defaultsID, storageBytes: bytes, by: principal.id)
            return JSONResponse(limits(bytes))
        }

        api.get(
            "/v1/quotas/projects/{id}",
            OperationDoc(
                "A project's storage quota (`own`, and `limits` with the default applied) and what it uses now: every file of its runs, dataset versions and its own, and unfinished uploads (viewers)",
                tags: ["quotas"], response: Schema.anyObject)
        ) { _, context in
            let project = try await core.project(try context.parameters.requireID("id"), context, needs: .viewer)
            return JSONResponse(try await view(project.project.id, quotas))
        }

        api.put(
            "/v1/quotas/projects/{id}",
            OperationDoc(
                "Set a project's own storage quota (administrators); no `storageBytes` (or null) is the default's. Lowering it below the use deletes nothing: uploads are refused until the use is under it",
                tags: ["quotas"], body: limitsSchema, response: Schema.anyObject)
        ) { request, context in
            let principal = try context.requirePrincipal()
            try principal.requireAdmin()
            let project = try await core.project(
                try context.parameters.requireID("id"), context, needs: .viewer, trashed: true)
            try await quotas.set(
                "project:\(project.project.id)", storageBytes: try await storageBytes(request, context),
                by: principal.id)
            return JSONResponse(try await view(project.project.id, quotas))
        }

        api.get(
            "/v1/projects/{id}/storage",
            OperationDoc(
                "A project's storage: bytes used now, its quota, and one sample a day from `from` to `to` (UTC days, inclusive; default the last 30), kept `mlex.data.storageSampleDays` (viewers)",
                tags: ["projects"],
                query: [
                    .init("from", Schema.string, "first day, e.g. 2026-11-01"),
                    .init("to", Schema.string, "last day, default today"),
                ],
                response: Schema.object(
                    [
                        "projectId": Schema.id, "usedBytes": Schema.integer, "storageBytes": Schema.integer,
                        "history": Schema.array(of: Schema.object(["day": Schema.string, "bytes": Schema.integer])),
                    ], required: ["projectId", "usedBytes", "history"]))
        ) { request, context in
            let project = try await core.project(try context.parameters.requireID("id"), context, needs: .viewer)
            let query = request.uri.queryParameters
            let today = Date()
            func day(_ name: String, default value: Date) throws -> String {
                guard let text = query.get(name) else { return String(Timestamp.format(value).prefix(10)) }
                guard text.count == 10, Timestamp.parse(text + "T00:00:00Z") != nil else {
                    throw APIError.invalidField(name, "\(name) is a UTC day such as 2026-12-01")
                }
                return text
            }
            let id = project.project.id
            var body: JSONValue = [
                "projectId": .string(id), "usedBytes": .int(try await quotas.used(by: id)),
                "history": .array(
                    try await samples.samples(
                        of: id, from: try day("from", default: today.addingTimeInterval(-30 * 86400)),
                        to: try day("to", default: today))),
            ]
            if let limit = try await quotas.limit(of: id) { body["storageBytes"] = .int(limit) }
            return JSONResponse(body)
        }
    }

    static func limits(_ bytes: Int64?) -> JSONValue {
        bytes.map { ["storageBytes": .int($0)] } ?? [:]
    }

    /// The body's `storageBytes`: a whole number of bytes, or null / absent for none.
    static func storageBytes(_ request: Request, _ context: AuthRequestContext) async throws -> Int64? {
        let body = try await request.decodeJSON(as: JSONValue.self, context: context)
        guard let value = body["storageBytes"], value != .null else { return nil }
        guard let bytes = value.intValue, bytes >= 0 else {
            throw APIError.invalidField(StorageQuotas.field, "storageBytes is a whole number of bytes, 0 or more")
        }
        return bytes
    }

    static func view(_ project: String, _ quotas: StorageQuotas) async throws -> JSONValue {
        let own = try await quotas.stored("project:\(project)")
        return [
            "projectId": .string(project), "own": limits(own),
            "limits": limits(try await quotas.limit(of: project)),
            "use": ["storageBytes": .int(try await quotas.used(by: project))],
        ]
    }
}
