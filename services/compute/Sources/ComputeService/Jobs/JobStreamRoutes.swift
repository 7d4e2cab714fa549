import Auth
import DataClient
import Foundation
import Hummingbird
import NIOCore
import Platform
import ServiceLifecycle

/// A job's logs (kept as its run's log entries in data) paged or followed, and its state
/// changes, both as server-sent events while the job lives (DCloud's real-time status).
enum JobStreamRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore) {
        api.get(
            "/v1/jobs/{id}/logs",
            OperationDoc(
                "The job's log lines (its stdout and stderr, `::mlex` lines excepted), paged by `after` (viewers); `follow=true` streams them as server-sent events (`event: log`, id the entry id) until the job ends (`event: end`)",
                tags: ["jobs"],
                query: PageRequest.parameters(maxLimit: 5000, defaultLimit: 500) + [
                    .init("follow", Schema.boolean, "stream as server-sent events until the job ends")
                ],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.anyObject), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let job = try await core.job(try context.parameters.requireID("id"), context, needs: .viewer)
            let page = try PageRequest(request, maxLimit: 5000, defaultLimit: 500)
            let runID = job.runId
            guard request.uri.queryParameters.get("follow") == "true" else {
                do {
                    return try JSONResponse(try await core.data.logs(run: runID, after: page.after, limit: page.limit))
                        .response(from: request, context: context)
                } catch let error as PeerError {
                    throw error.apiError
                }
            }
            let jobID = job.id
            return eventStream { writer in
                var after = page.after
                while true {
                    // Read the state before the logs: lines written before the end are then
                    // always fetched before `end` is sent.
                    let ended = try await core.jobs.get(jobID)?.state.isTerminal ?? true
                    let batch = try await core.data.logs(run: runID, after: after, limit: 1000)
                    for entry in batch["items"]?.arrayValue ?? [] {
                        try await writer.write(
                            ByteBuffer(
                                string: "id: \(entry["id"]?.stringValue ?? "")\nevent: log\ndata: \(entry.jsonText)\n\n"
                            ))
                        after = entry["id"]?.stringValue ?? after
                    }
                    if batch["nextAfter"]?.stringValue != nil { continue }
                    if ended || Task.isShuttingDownGracefully { break }
                    // Logs live in data; poll it, woken early when the job ends.
                    await core.wait(for: "job:\(jobID)", atMost: .milliseconds(250))
                }
                try await writer.write(ByteBuffer(string: "event: end\ndata: {}\n\n"))
            }
        }

        api.get(
            "/v1/jobs/{id}/events",
            OperationDoc(
                "The job's state as server-sent events: the current one at once (`event: job`), then each change or progress, until it ends (viewers)",
                tags: ["jobs"],
                responseContentType: "text/event-stream"
            )
        ) { _, context in
            let jobID = try await core.job(try context.parameters.requireID("id"), context, needs: .viewer).id
            return eventStream { writer in
                var last: JobRecord?
                while let job = try await core.jobs.get(jobID) {
                    if job != last {
                        try await writer.write(ByteBuffer(string: "event: job\ndata: \(try job.view().jsonText)\n\n"))
                        last = job
                    }
                    if job.state.isTerminal || Task.isShuttingDownGracefully { break }
                    await core.wait(for: "job:\(jobID)", atMost: .seconds(2))
                }
                try await writer.write(ByteBuffer(string: "event: end\ndata: {}\n\n"))
            }
        }
    }

    static func eventStream(
        _ produce: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await produce(&writer)
                try await writer.finish(nil)
            })
    }
}
