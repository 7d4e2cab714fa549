import Auth
import ComputeWire
import DataClient
import Foundation
import Hummingbird
import Platform
import Store

/// The jobs API (`/v1/jobs`): submit, read, list, cancel, rerun, and the outputs a job left in
/// its run. Logs and state streams are in `JobStreamRoutes`.
enum JobRoutes {
    static let jobSchema = Schema.object(
        [
            "id": Schema.id, "projectId": Schema.id, "name": Schema.string, "owner": Schema.string, "runId": Schema.id,
            "state": Schema.enumeration(JobState.allCases.map(\.rawValue)), "reason": Schema.string,
            "message": Schema.string, "exitCode": Schema.integer,
            "queue": Schema.string, "priority": Schema.integer, "spec": Schema.anyObject, "template": Schema.string,
            "image": Schema.string, "env": Schema.anyObject,
            "resources": Schema.object([
                "cpus": Schema.number, "memoryMB": Schema.integer, "gpus": Schema.integer, "diskMB": Schema.integer,
            ]),
            "workers": Schema.integer,
            "command": Schema.array(of: Schema.string), "nodeId": Schema.id, "gpuIds": Schema.array(of: Schema.string),
            "attempt": Schema.integer,
            "retries": Schema.integer, "progress": Schema.number, "progressMessage": Schema.string,
            "usage": Schema.anyObject, "peakMemoryBytes": Schema.integer,
            // Only on reads of a queued job: the quota it waits on.
            "pendingReason": Schema.string,
            // Only for a job that serves an endpoint: where users reach it, through the gateway.
            "endpointPath": Schema.string,
            "cancelRequested": Schema.boolean, "rerunOf": Schema.id, "createdAt": Schema.dateTime,
            "scheduledAt": Schema.dateTime,
            "startedAt": Schema.dateTime, "endedAt": Schema.dateTime, "updatedAt": Schema.dateTime,
            "transitions": Schema.array(
                of: Schema.object(["state": Schema.string, "at": Schema.dateTime, "reason": Schema.string])),
        ], required: ["id", "projectId", "name", "owner", "runId", "state", "workers", "createdAt"])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore) {
        api.schema("Job", jobSchema)
        let submission = JobSubmission(core: core)

        api.post(
            "/v1/jobs",
            OperationDoc(
                "Submit a job (editors of its project): command or the DDL contract (a code package with main.py), inputs, env, params, resources, timeout, priority, queue, workers (1 to 64 processes running the command together on one node, or across a Slurm allocation, each with WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; resources are per worker, the disk is shared; placed all at once or not at all; not with an image), an image or a template (its image or host runtime, setup, defaults; resources outside its ranges are 400), an endpoint (the job serves HTTP on the Unix socket $MLEX_ENDPOINT_SOCKET while it runs, reached at /endpoints/{jobId}/ through the gateway; or kind terminal: an interactive session, a shell over WebSockets there with terminado's messages, no command, stopping after endpoint.idleSeconds with nothing typed or printed); its run is created in data",
                tags: ["jobs"],
                body: Schema.object(
                    [
                        "projectId": Schema.id, "name": Schema.string, "image": Schema.string,
                        "template": Schema.string, "command": Schema.array(of: Schema.string),
                        "codePackage": Schema.string, "inputs": Schema.array(of: Schema.id), "env": Schema.anyObject,
                        "params": Schema.anyObject,
                        "resources": Schema.object([
                            "cpus": Schema.number, "memoryMB": Schema.integer, "gpus": Schema.integer,
                            "diskMB": Schema.integer,
                        ]),
                        "timeoutSeconds": Schema.integer, "priority": Schema.integer, "queue": Schema.string,
                        "workers": Schema.integer, "retries": Schema.integer,
                        "endpoint": Schema.object([
                            "kind": Schema.enumeration(JobSpec.Endpoint.kinds), "idleSeconds": Schema.integer,
                        ]),
                    ], required: ["projectId"]),
                status: 201, response: Schema.ref("Job")
            )
        ) { request, context in
            let spec = try await request.decodeJSON(as: JobSpec.self, context: context)
            return JSONResponse(
                try await submission.submit(spec, by: try context.requirePrincipal()).view(), status: .created)
        }

        api.get(
            "/v1/jobs",
            OperationDoc(
                "Jobs, newest first: of a project (viewers), else the caller's own (every job for admins); filters state, owner, queue",
                tags: ["jobs"],
                query: PageRequest.parameters(maxLimit: 500, defaultLimit: 100) + [
                    .init("projectId", Schema.id, "jobs of this project"),
                    .init("state", Schema.enumeration(JobState.allCases.map(\.rawValue)), "only this state"),
                    .init("owner", Schema.string, "only jobs of this user"),
                    .init("queue", Schema.string, "only this queue"),
                ],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Job")), "nextAfter": Schema.id], required: ["items"])
            )
        ) { request, context in
            let principal = try context.requirePrincipal()
            let page = try PageRequest(request, maxLimit: 500, defaultLimit: 100)
            let query = request.uri.queryParameters
            var filter: JSONValue = [:]
            if let project = query.get("projectId") {
                guard ID.isValid(project) else { throw APIError.invalidField("projectId", "projectId is an id") }
                try await core.authorizer.require(.viewer, on: project, for: principal)
                filter["projectId"] = .string(project)
            } else if !principal.isAdmin {
                filter["owner"] = .string(principal.id)
            }
            if let state = query.get("state") {
                guard JobState(rawValue: state) != nil else {
                    throw APIError.invalidField(
                        "state", "state is one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter["state"] = .string(state)
            }
            if let owner = query.get("owner") {
                if let mine = filter["owner"], mine != .string(owner) {
                    return JSONResponse(["items": []] as JSONValue)
                }
                filter["owner"] = .string(owner)
            }
            if let queue = query.get("queue") { filter["queue"] = .string(queue) }
            let found = try await core.jobs.find(
                Query(
                    filter: filter, sort: [.descending("id")], limit: page.limit,
                    after: page.after.map { ["id": .string($0)] }))
            return JSONResponse(page.response(try await PendingReason.views(of: found, core)))
        }

        api.get(
            "/v1/jobs/{id}",
            OperationDoc(
                "A job: state with reasons and the time of each transition, progress, usage, and while queued the quota it waits on (`pendingReason`) (viewers, and its owner)",
                tags: ["jobs"], response: Schema.ref("Job"))
        ) { _, context in
            JSONResponse(
                try await PendingReason.view(
                    of: try await core.job(try context.parameters.requireID("id"), context, needs: .viewer), core))
        }

        api.get(
            "/v1/jobs/{id}/usage",
            OperationDoc(
                "The job's CPU, memory and pids usage now, its peak memory, and its samples of the last `mlex.compute.usageWindowMinutes` (15 by default), one per heartbeat, from its cgroups or Docker's stats (viewers)",
                tags: ["jobs"], response: UsageHistory.schema
            )
        ) { _, context in
            let job = try await core.job(try context.parameters.requireID("id"), context, needs: .viewer)
            let history = try await UsageHistory.samples(of: UsageHistory.subject(job: job.id), in: core.store)
            var answer: JSONValue = ["history": .array(history)]
            if !job.state.isTerminal, let usage = job.usage { answer["current"] = try JSONValue(encoding: usage) }
            if let peak = job.peakMemoryBytes ?? job.usage?.memoryPeakBytes {
                answer["peakMemoryBytes"] = .int(Int64(peak))
            }
            return JSONResponse(answer)
        }

        api.post(
            "/v1/jobs/{id}/cancel",
            OperationDoc(
                "Cancel a job (its owner or editors): a queued job ends at once; a running one is killed on its node, cgroup and all",
                tags: ["jobs"],
                response: Schema.ref("Job")
            )
        ) { _, context in
            let found = try await core.job(try context.parameters.requireID("id"), context, needs: .editor)
            let by = try context.requirePrincipal().id
            let job = try await JobCancellation(core: core).cancel(found.id, by: by)
            return JSONResponse(try job.view(), status: .accepted)
        }

        api.post(
            "/v1/jobs/{id}/rerun",
            OperationDoc(
                "A new job from this one's spec, linked by `rerunOf`, with optional overrides of params (merged), resources (merged), template, timeout and name (editors)",
                tags: ["jobs"],
                body: Schema.object([
                    "params": Schema.anyObject, "resources": Schema.anyObject, "template": Schema.string,
                    "timeoutSeconds": Schema.integer, "name": Schema.string,
                ]),
                status: 201, response: Schema.ref("Job")
            )
        ) { request, context in
            let old = try await core.job(try context.parameters.requireID("id"), context, needs: .viewer)
            // No body at all means no overrides.
            let hasBody =
                request.headers[.contentLength].map { $0 != "0" } ?? (request.headers[.transferEncoding] != nil)
            let overrides = hasBody ? try await request.decodeJSON(as: JobRerun.self, context: context) : JobRerun.none
            let job = try await submission.submit(
                overrides.applied(to: old.spec), by: try context.requirePrincipal(), rerunOf: old.id)
            return JSONResponse(try job.view(), status: .created)
        }

        api.get(
            "/v1/jobs/{id}/outputs",
            OperationDoc(
                "What the job wrote under its model_output_dir, as files of its run in data (viewers); download each from data at `downloadPath`",
                tags: ["jobs"],
                response: Schema.object(
                    ["runId": Schema.id, "items": Schema.array(of: Schema.anyObject)], required: ["runId", "items"])
            )
        ) { _, context in
            let job = try await core.job(try context.parameters.requireID("id"), context, needs: .viewer)
            let runID = job.runId
            let files: [JSONValue]
            do {
                files = try await core.data.files(of: .run(runID), prefix: JobOutputs.prefix)
            } catch let error as PeerError {
                throw error.apiError
            }
            let items = files.map { file -> JSONValue in
                var item = file
                let path = file["path"]?.stringValue ?? ""
                item["name"] = .string(String(path.dropFirst(JobOutputs.prefix.count)))
                item["downloadPath"] = .string("/api/data/v1/runs/\(runID)/files/\(PeerClient.escape(path: path))")
                return item
            }
            return JSONResponse(["runId": .string(runID), "items": .array(items)] as JSONValue)
        }
    }
}
