import Auth
import Forwarding
import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import Platform

/// A running job's endpoint as compute reaches it: the agent of the job's node, at the URL the
/// agent registered, and the job's endpoint key, which only compute and that agent know
/// (docs/endpoints.md). Job endpoints, deployments' replicas and WebSockets all go this way.
struct EndpointTarget: Sendable {
    /// The field carrying the job's endpoint key to the agent.
    static let keyField = "X-Mlex-Endpoint-Key"
    /// Who the request is from, for the job (its server may log or authorize by it).
    static let userField = "X-Mlex-User"
    /// The path the endpoint is served under for the user, for servers that write links
    /// (Jupyter's `base_url`).
    static let prefixField = "X-Forwarded-Prefix"

    let job: JobRecord
    let node: NodeRecord
    let key: String
    /// The agent's endpoint URL (`mlex.agent.endpointUrl`).
    let base: String

    /// `job`'s endpoint if it serves one and runs now: 404 `endpoint` for a job that serves
    /// none, 503 `endpoint` while it is not running.
    static func of(_ job: JobRecord, nodes: NodeDirectory) async throws -> EndpointTarget {
        guard let key = job.endpointKey else {
            throw APIError.notFound("job \(job.id) serves no endpoint (submit it with `endpoint`)", field: "endpoint")
        }
        guard job.state == .running, let nodeID = job.nodeId, let node = try await nodes.get(nodeID),
            let base = node.endpointURL
        else {
            throw APIError.unavailable(
                "job \(job.id) is \(job.state.rawValue): its endpoint answers while the job runs", field: "endpoint")
        }
        return EndpointTarget(job: job, node: node, key: key, base: base)
    }

    /// The agent's URL for `rest` (what follows the mount point, "" or "/…") and `query`.
    func url(_ rest: String, query: String?) -> String {
        var url = "\(base)/v1/endpoints/\(job.id)\(rest)"
        if let query, !query.isEmpty { url += "?\(query)" }
        return url
    }

    /// What the agent is sent: the client's end-to-end fields but its credentials, the job's
    /// key, the caller, the request id and where the user sees the endpoint (`prefix`).
    func headers(
        _ incoming: HTTPFields, principal: Principal, requestID: String, prefix: String
    ) -> HTTPHeaders {
        var headers = HopByHop.upstream(incoming, dropping: [.authorization, .cookie])
        headers.replaceOrAdd(name: Self.keyField, value: key)
        headers.replaceOrAdd(name: Self.userField, value: principal.id)
        headers.replaceOrAdd(name: "X-Request-Id", value: requestID)
        headers.replaceOrAdd(name: Self.prefixField, value: prefix)
        return headers
    }

    var upstreamDescription: String { "the agent of node \(node.name) at \(base)" }

    /// Where `request` goes and with which fields: its path after `mount`, its query, its
    /// fields for the agent, the user seeing the endpoint under `prefix`.
    func forwarding(
        _ request: Request, after mount: String, prefix: String, principal: Principal, requestID: String
    ) -> (upstream: HTTPForwarder.Upstream, headers: HTTPHeaders) {
        let rest = HTTPForwarder.remainder(of: request.uri.path, after: mount)
        return (
            .init(url: url(rest, query: request.uri.query), description: upstreamDescription, field: "endpoint"),
            headers(request.headers, principal: principal, requestID: requestID, prefix: prefix)
        )
    }

    /// A request to `/v1/jobs/{id}/endpoint/…` (HTTP or a WebSocket handshake): the caller must
    /// view the job, which must serve an endpoint and run; where it goes and with which fields.
    static func forJob(
        _ request: Request, _ context: AuthRequestContext, _ core: ComputeCore, nodes: NodeDirectory
    ) async throws -> (upstream: HTTPForwarder.Upstream, headers: HTTPHeaders) {
        let principal = try context.requirePrincipal()
        let id = try context.parameters.requireID("id")
        let target = try await of(try await core.job(id, context, needs: .viewer), nodes: nodes)
        return target.forwarding(
            request, after: "/v1/jobs/\(id)/endpoint", prefix: "/endpoints/\(id)", principal: principal,
            requestID: context.requestID)
    }
}
