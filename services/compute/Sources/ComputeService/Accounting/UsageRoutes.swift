import Auth
import Foundation
import Hummingbird
import Platform
import Store

/// Accounting totals (`GET /v1/usage`): what ended jobs consumed between `from` and `to`,
/// summed per any combination of project, user, UTC day and month. Administrators see every
/// job; anyone else their own jobs, or a project's with `projectId` when they may read it.
enum UsageRoutes {
    static let groupings = ["project", "user", "day", "month"]
    static let totalsSchema = Schema.object([
        "jobs": Schema.integer, "cpuSeconds": Schema.number, "memoryByteSeconds": Schema.number,
        "gpuSeconds": Schema.number, "wallSeconds": Schema.number, "cpuHours": Schema.number,
        "gpuHours": Schema.number,
    ])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore) {
        api.get(
            "/v1/usage",
            OperationDoc(
                "Totals of what jobs consumed (CPU-, memory-byte-, GPU- and wall seconds, counted when each job ended), from `from` to `to`, grouped by `groupBy`: any of project, user, day, month, comma-separated (administrators: every job; others: their own, or a project's they can read with `projectId`)",
                tags: ["usage"],
                query: [
                    .init(
                        "from", Schema.string, "a UTC day (2026-12-01) or an RFC 3339 time; default: this month's start"
                    ),
                    .init("to", Schema.string, "exclusive, as `from`; default: now"),
                    .init("groupBy", Schema.string, "project, user, day, month, comma-separated; default: none"),
                    .init("projectId", Schema.id, "only this project's jobs (viewers)"),
                    .init("userId", Schema.string, "only this user's jobs (themself, or administrators)"),
                ],
                response: Schema.object(
                    [
                        "from": Schema.dateTime, "to": Schema.dateTime, "groupBy": Schema.array(of: Schema.string),
                        "items": Schema.array(of: Schema.anyObject), "total": totalsSchema,
                    ], required: ["items", "total"])
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            let query = request.uri.queryParameters
            let now = Date()
            let from = try time(query.get("from"), field: "from") ?? UsagePeriod.monthStart(of: now)
            let to = try time(query.get("to"), field: "to") ?? now
            let groupBy = (query.get("groupBy") ?? "").split(separator: ",").map(String.init)
            for key in groupBy where !groupings.contains(key) {
                throw APIError.invalidField(
                    "groupBy", "groupBy is any of \(groupings.joined(separator: ", ")), comma-separated")
            }
            var filter: JSONValue = [
                "endedAtMs": ["$gte": .int(milliseconds(from)), "$lt": .int(milliseconds(to))]
            ]
            if let project = query.get("projectId") {
                guard ID.isValid(project) else { throw APIError.invalidField("projectId", "projectId is an id") }
                try await core.authorizer.require(.viewer, on: project, for: principal)
                filter["projectId"] = .string(project)
            }
            if let user = query.get("userId") {
                let id = user == "me" ? principal.id : user
                guard principal.isAdmin || id == principal.id else {
                    throw APIError.forbidden("only administrators read other users' usage")
                }
                filter["owner"] = .string(id)
            } else if !principal.isAdmin, filter["projectId"] == nil {
                filter["owner"] = .string(principal.id)
            }
            let records = try await core.store.find(JobAccounting.self, Query(filter: filter))
            var groups: [[String]: UsageTotals] = [:]
            var total = UsageTotals()
            for record in records {
                let key = groupBy.map { grouping -> String in
                    switch grouping {
                    case "project": record.projectId
                    case "user": record.owner
                    case "day": record.day
                    default: record.month
                    }
                }
                groups[key, default: UsageTotals()].add(record)
                total.add(record)
            }
            let items = groups.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { key, totals -> JSONValue in
                var item = totals.view()
                for (grouping, value) in zip(groupBy, key) { item[grouping] = .string(value) }
                return item
            }
            return JSONResponse(
                [
                    "from": .string(Timestamp.format(from)), "to": .string(Timestamp.format(to)),
                    "groupBy": .array(groupBy.map(JSONValue.string)), "items": .array(groupBy.isEmpty ? [] : items),
                    "total": total.view(),
                ] as JSONValue)
        }
    }

    /// A UTC day or an RFC 3339 time; 400 naming `field` otherwise.
    static func time(_ text: String?, field: String) throws -> Date? {
        guard let text else { return nil }
        if let date = Timestamp.parse(text.count == 10 ? text + "T00:00:00Z" : text) { return date }
        throw APIError.invalidField(field, "\(field) is a UTC day (2026-12-01) or an RFC 3339 time")
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
}

/// Sums of accounting records.
struct UsageTotals: Sendable {
    var jobs = 0
    var cpuSeconds = 0.0
    var memoryByteSeconds = 0.0
    var gpuSeconds = 0.0
    var wallSeconds = 0.0

    mutating func add(_ record: JobAccounting) {
        jobs += 1
        cpuSeconds += record.cpuSeconds
        memoryByteSeconds += record.memoryByteSeconds
        gpuSeconds += record.gpuSeconds
        wallSeconds += record.wallSeconds
    }

    func view() -> JSONValue {
        [
            "jobs": .int(Int64(jobs)), "cpuSeconds": .double(cpuSeconds),
            "memoryByteSeconds": .double(memoryByteSeconds),
            "gpuSeconds": .double(gpuSeconds), "wallSeconds": .double(wallSeconds),
            "cpuHours": .double(cpuSeconds / 3600),
            "gpuHours": .double(gpuSeconds / 3600),
        ]
    }
}
