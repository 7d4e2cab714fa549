import Auth
import Forwarding
import Hummingbird
import Platform

/// `/v1/jobs/{id}/endpoint/**` for WebSockets (the gateway's `/endpoints/{jobId}/…` comes here):
/// the same checks as EndpointRoutes — a viewer of the job's project, a job that serves an
/// endpoint and runs — then the handshake goes to the agent of the job's node with the job's
/// key, and the caller gets 101 only once the job's server accepted it (docs/endpoints.md).
struct EndpointWebSocketRoutes {
    let core: ComputeCore

    func register(_ ws: WebSocketRoutes<AuthRequestContext>) {
        let doc = OperationDoc(
            "A WebSocket to the job's endpoint while it runs (project viewers): the same path, query and fields (but Authorization and Cookie), 101 once the job's server accepted it; 401, 404 and 503 as for HTTP, the job server's own refusal as it answered",
            tags: ["jobs"])
        let nodes = NodeDirectory(core: core)
        for pattern in HTTPForwarder.mountPatterns("/v1/jobs/{id}/endpoint") {
            ws.get(pattern, doc) { request, context in
                let (upstream, headers) = try await EndpointTarget.forJob(request, context, core, nodes: nodes)
                return try await WebSocketRelay.forward(to: upstream, headers: headers, logger: context.logger)
            }
        }
    }
}
