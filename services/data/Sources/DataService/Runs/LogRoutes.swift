import Auth
import Foundation
import Hummingbird
import Platform

/// A run's log entries: editors append batches, viewers page through them.
enum LogRoutes {
    static let entry = Schema.object(
        [
            "id": Schema.id, "time": Schema.dateTime,
            "level": Schema.enumeration(LogEntry.Level.allCases.map(\.rawValue)), "message": Schema.string,
            "rank": Schema.integer,
        ],
        required: ["id", "time", "level", "message"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("LogEntry", entry)

        api.post(
            "/v1/runs/{id}/logs",
            OperationDoc(
                "Append up to 10,000 log entries (editors); time defaults to now and level to info. A producer that may repeat a batch names a `source` and numbers entries with increasing `sequence`s: entries at or below the source's highest stored sequence are skipped (counted in `skipped`). `rank`: the worker of a multi-worker job that printed it",
                tags: ["runs"],
                body: Schema.object(
                    [
                        "entries": Schema.array(
                            of: Schema.object(
                                [
                                    "time": Schema.dateTime,
                                    "level": Schema.enumeration(LogEntry.Level.allCases.map(\.rawValue)),
                                    "message": Schema.string, "sequence": Schema.integer, "rank": Schema.integer,
                                ], required: ["message"]
                            )),
                        "source": Schema.string,
                    ], required: ["entries"]),
                response: Schema.object(
                    ["accepted": Schema.integer, "skipped": Schema.integer], required: ["accepted", "skipped"])
            )
        ) { request, context in
            let run = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let append = try await request.decodeJSON(as: LogAppend.self, context: context)
            let source = try append.checkedSource()
            let entries = try append.entries(of: run)
            let stored = try await core.logs.append(
                entries, source: source, sequences: append.entries.compactMap(\.sequence))
            return JSONResponse(
                ["accepted": .int(Int64(stored)), "skipped": .int(Int64(entries.count - stored))] as JSONValue)
        }

        api.get(
            "/v1/runs/{id}/logs",
            OperationDoc(
                "Log entries in the order they arrived, paged by `after` (viewers); `level` keeps that level and above",
                tags: ["runs"],
                query: PageRequest.parameters(maxLimit: 5000, defaultLimit: 500) + [
                    .init(
                        "level", Schema.enumeration(LogEntry.Level.allCases.map(\.rawValue)),
                        "the lowest level to return"),
                    .init("rank", Schema.integer, "only the entries of this worker of a multi-worker job"),
                ],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("LogEntry")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let run = try await core.run(try context.parameters.requireID("id"), context, needs: .viewer)
            let page = try PageRequest(request, maxLimit: 5000, defaultLimit: 500)
            var level: LogEntry.Level?
            if let text = request.uri.queryParameters.get("level") {
                guard let given = LogEntry.Level(rawValue: text) else {
                    throw APIError.invalidField("level", "level is debug, info, warning or error")
                }
                level = given
            }
            var rank: Int?
            if let text = request.uri.queryParameters.get("rank") {
                guard let given = Int(text), (0...LogAppend.maxRank).contains(given) else {
                    throw APIError.invalidField("rank", "rank is an integer from 0 to \(LogAppend.maxRank)")
                }
                rank = given
            }
            let found = try await core.logs.entries(
                of: run.id, minimum: level, rank: rank, limit: page.limit, after: page.after)
            return JSONResponse(page.response(found.map { $0.view() }))
        }
    }
}
