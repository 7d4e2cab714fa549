import Auth
import Forwarding
import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import Platform

/// `/v1/jobs/{id}/endpoint/**`: a request for a running job's endpoint, forwarded to the agent
/// of the node that runs it (the gateway's `/endpoints/{jobId}/…` comes here). The caller needs
/// to be a viewer of the job's project; the agent is sent the job's endpoint key, which only
/// compute and that agent know, and never the caller's token or cookies (docs/endpoints.md).
enum EndpointRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore, forwarder: HTTPForwarder) {
        let doc = OperationDoc(
            "Forward to the job's endpoint while it runs (project viewers): the same method, query, headers (but Authorization and Cookie) and streamed body; 404 for a job that serves none, 503 while it is not running, 502 when its node does not answer",
            tags: ["jobs"])
        let nodes = NodeDirectory(core: core)
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
            for pattern in HTTPForwarder.mountPatterns("/v1/jobs/{id}/endpoint") {
                api.on(method, pattern, doc) { request, context in
                    let (upstream, headers) = try await EndpointTarget.forJob(request, context, core, nodes: nodes)
                    return try await forwarder.forward(request, to: upstream, headers: headers, logger: context.logger)
                }
            }
        }
    }
}
