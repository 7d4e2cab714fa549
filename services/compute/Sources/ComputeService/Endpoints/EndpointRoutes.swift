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
    /// The field carrying the job's endpoint key to the agent.
    static let keyField = "X-Mlex-Endpoint-Key"
    /// Who the request is from, for the job (its server may log or authorize by it).
    static let userField = "X-Mlex-User"
    /// The path the job's endpoint is served under for the user, for servers that write links
    /// (Jupyter's `base_url`).
    static let prefixField = "X-Forwarded-Prefix"

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: ComputeCore, forwarder: HTTPForwarder) {
        let doc = OperationDoc(
            "Forward to the job's endpoint while it runs (project viewers): the same method, query, headers (but Authorization and Cookie) and streamed body; 404 for a job that serves none, 503 while it is not running, 502 when its node does not answer",
            tags: ["jobs"])
        let nodes = NodeDirectory(core: core)
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
            for pattern in HTTPForwarder.mountPatterns("/v1/jobs/{id}/endpoint") {
                api.on(method, pattern, doc) { request, context in
                    let principal = try context.requirePrincipal()
                    let id = try context.parameters.requireID("id")
                    let job = try await core.job(id, context, needs: .viewer)
                    guard let key = job.endpointKey else {
                        throw APIError.notFound(
                            "job \(id) serves no endpoint (submit it with `endpoint`)", field: "endpoint")
                    }
                    guard job.state == .running, let nodeID = job.nodeId, let node = try await nodes.get(nodeID),
                        let base = node.endpointURL
                    else {
                        throw APIError.unavailable(
                            "job \(id) is \(job.state.rawValue): its endpoint answers while the job runs",
                            field: "endpoint"
                        )
                    }
                    let rest = HTTPForwarder.remainder(of: request.uri.path, after: "/v1/jobs/\(id)/endpoint")
                    var url = "\(base)/v1/endpoints/\(id)\(rest)"
                    if let query = request.uri.query, !query.isEmpty { url += "?\(query)" }
                    var headers = HopByHop.upstream(request.headers, dropping: [.authorization, .cookie])
                    headers.replaceOrAdd(name: keyField, value: key)
                    headers.replaceOrAdd(name: userField, value: principal.id)
                    headers.replaceOrAdd(name: "X-Request-Id", value: context.requestID)
                    headers.replaceOrAdd(name: prefixField, value: "/endpoints/\(id)")
                    return try await forwarder.forward(
                        request,
                        to: .init(
                            url: url, description: "the agent of node \(node.name) at \(base)", field: "endpoint"),
                        headers: headers, logger: context.logger)
                }
            }
        }
    }
}
