import Auth
import Foundation
import Hummingbird
import Platform

/// Operations for administrators.
enum AdminRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ sweeper: BlobSweeper) {
        api.post(
            "/v1/admin/sweep",
            OperationDoc(
                "Run the sweeper now: purge what stayed in the trash past its project's retention, free blobs nothing references and half-written uploads of killed processes (older than `graceSeconds`, default an hour) and expired resumable uploads (administrators)",
                tags: ["admin"],
                query: [
                    .init(
                        "graceSeconds", Schema.integer,
                        "leave blobs younger than this alone (0–86400, default 3600): they may belong to uploads being recorded"
                    )
                ],
                response: Schema.object(
                    [
                        "freedBytes": Schema.integer, "blobs": Schema.integer, "uploads": Schema.integer,
                        "abandonedUploads": Schema.integer, "trashPurged": Schema.integer,
                    ],
                    required: ["freedBytes", "blobs", "uploads", "abandonedUploads", "trashPurged"]
                )
            )
        ) { request, context in
            try context.requirePrincipal().requireAdmin()
            var grace = sweeper.grace
            if let text = request.uri.queryParameters.get("graceSeconds") {
                guard let seconds = Int(text), (0...86400).contains(seconds) else {
                    throw APIError.invalidField("graceSeconds", "graceSeconds is from 0 to 86400")
                }
                grace = TimeInterval(seconds)
            }
            let outcome = try await sweeper.sweep(grace: grace)
            return JSONResponse(
                [
                    "freedBytes": .int(outcome.freedBytes), "blobs": .int(Int64(outcome.blobs)),
                    "uploads": .int(Int64(outcome.uploads)),
                    "abandonedUploads": .int(Int64(outcome.abandonedUploads)),
                    "trashPurged": .int(Int64(outcome.trashPurged)),
                ] as JSONValue)
        }
    }
}
