import Auth
import ComputeWire
import Foundation
import Hummingbird
import Platform

/// The door for compute's own agents (`mlex-compute-agent`, service token of `compute`):
/// register a node, long-poll for instructions, heartbeat usage, report each job's progress
/// and end.
enum AgentRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore) {
        let nodes = NodeDirectory(core: core)
        let scheduler = Scheduler(core: core)

        api.put(
            "/v1/nodes/{id}",
            OperationDoc(
                "Register (or re-register after a restart) a node: its capacity, queues and executor; answers the jobs compute believes run there (agents)",
                tags: ["agents"],
                body: Schema.object(
                    [
                        "name": Schema.string, "executor": Schema.string, "queues": Schema.array(of: Schema.string),
                        "capacity": Schema.object(
                            [
                                "cpus": Schema.number, "memoryMB": Schema.integer,
                                "gpus": Schema.array(of: Schema.string), "diskMB": Schema.integer,
                            ], required: ["cpus", "memoryMB", "gpus"]),
                    ], required: ["name", "executor", "queues", "capacity"]),
                response: Schema.anyObject
            )
        ) { request, context in
            try requireAgent(context)
            let nodeID = try context.parameters.requireID("id")
            let registration = try await request.decodeJSON(as: NodeRegistration.self, context: context)
            return JSONResponse(try await nodes.register(nodeID, registration))
        }

        api.post(
            "/v1/nodes/{id}/heartbeat",
            OperationDoc(
                "A node is alive; usage of each job it runs, from their cgroups (agents)", tags: ["agents"],
                body: Schema.object(["jobs": Schema.anyObject], required: ["jobs"]), status: 204
            )
        ) { request, context in
            try requireAgent(context)
            try await nodes.heartbeat(
                try context.parameters.requireID("id"),
                try await request.decodeJSON(as: Heartbeat.self, context: context))
            return Response(status: .noContent)
        }

        api.post(
            "/v1/nodes/{id}/instructions",
            OperationDoc(
                "Long poll: the next job that fits this node and the jobs to cancel, as soon as there are any, else empty after `waitSeconds` (agents)",
                tags: ["agents"],
                query: [.init("waitSeconds", Schema.integer, "0 to 60, default 20")],
                response: Schema.object(
                    ["assignments": Schema.array(of: Schema.anyObject), "cancellations": Schema.array(of: Schema.id)],
                    required: ["assignments", "cancellations"])
            )
        ) { request, context in
            try requireAgent(context)
            let wait = request.uri.queryParameters.get("waitSeconds").map { Int($0) } ?? 20
            guard let wait, (0...60).contains(wait) else {
                throw APIError.invalidField("waitSeconds", "waitSeconds is 0 to 60")
            }
            return JSONResponse(
                try await scheduler.instructions(for: try context.parameters.requireID("id"), wait: .seconds(wait)))
        }

        api.post(
            "/v1/nodes/{id}/jobs/{jobId}/report",
            OperationDoc(
                "A job's progress or state change from the node running it (agents)", tags: ["agents"],
                body: Schema.object([
                    "state": Schema.enumeration(["running", "succeeded", "failed", "cancelled", "timed_out"]),
                    "reason": Schema.string, "message": Schema.string,
                    "exitCode": Schema.integer, "progress": Schema.number, "progressMessage": Schema.string,
                    "usage": Schema.anyObject,
                ]),
                response: Schema.ref("Job")
            )
        ) { request, context in
            try requireAgent(context)
            let report = try await request.decodeJSON(as: JobReport.self, context: context)
            let job = try await JobReports(core: core).apply(
                report, job: try context.parameters.requireID("jobId"), node: try context.parameters.requireID("id"))
            return JSONResponse(try job.view())
        }
    }

    /// Only compute's own service identity drives nodes.
    static func requireAgent(_ context: AuthRequestContext) throws {
        let principal = try context.requirePrincipal()
        guard principal.kind == .service, principal.id == ServiceName.compute.rawValue else {
            throw APIError.forbidden("only compute's agents (the compute service token) may do this")
        }
    }
}
