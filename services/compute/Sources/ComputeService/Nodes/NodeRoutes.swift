import Auth
import Foundation
import Hummingbird
import Platform
import Store

/// Nodes as users see them: capacity, what is allocated, heartbeat and measured usage.
enum NodeRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore) {
        let nodes = NodeDirectory(core: core)

        api.get(
            "/v1/nodes",
            OperationDoc(
                "Every node: capacity, allocated resources, state (online or lost), last heartbeat and usage from its jobs' cgroups",
                tags: ["nodes"],
                response: Schema.object(["items": Schema.array(of: Schema.anyObject)], required: ["items"])
            )
        ) { _, context in
            _ = try context.requirePrincipal()
            var items: [JSONValue] = []
            for node in try await nodes.all() { items.append(try await nodes.view(node)) }
            return JSONResponse(["items": .array(items)] as JSONValue)
        }

        api.get(
            "/v1/nodes/{id}",
            OperationDoc(
                "One node, with the ids of the jobs it runs: every job for administrators and services, the caller's own for anyone else",
                tags: ["nodes"], response: Schema.anyObject)
        ) { _, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.requireID("id")
            guard let node = try await nodes.get(id) else { throw APIError.notFound("no node \(id)") }
            var view = try await nodes.view(node)
            var filter: JSONValue = ["nodeId": .string(id), "state": JobState.activeValues]
            // Which jobs run where tells of other people's work: capacity and allocation are
            // everyone's to see, other users' job ids only an administrator's.
            if !principal.isAdmin && principal.kind != .service { filter["owner"] = .string(principal.id) }
            view["jobs"] = .array(try await core.jobs.find(Query(filter: filter)).map { .string($0.id) })
            return JSONResponse(view)
        }

        api.get(
            "/v1/nodes/{id}/usage",
            OperationDoc(
                "The node's usage now (summed over its jobs) and its samples of the last `mlex.compute.usageWindowMinutes` (15 by default), one per heartbeat; cpuSeconds is cumulative per job, so a rate is the difference of two samples",
                tags: ["nodes"], response: UsageHistory.schema
            )
        ) { _, context in
            _ = try context.requirePrincipal()
            let id = try context.parameters.requireID("id")
            guard let node = try await nodes.get(id) else { throw APIError.notFound("no node \(id)") }
            let history = try await UsageHistory.samples(of: UsageHistory.subject(node: id), in: core.store)
            return JSONResponse(
                ["current": try JSONValue(encoding: node.usage), "history": .array(history)] as JSONValue)
        }
    }
}
