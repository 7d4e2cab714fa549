import Forwarding
import HTTPTypes
import Hummingbird
import Platform

/// `/endpoints/{jobId}/…` for WebSockets (docs/endpoints.md): as for HTTP, the browser's session
/// cookie becomes the bearer token and compute decides; the client gets 101 only once the job's
/// server accepted the socket.
struct EndpointWebSockets {
    let proxy: GatewayProxy
    let sessions: BrowserSessions

    func register(_ ws: WebSocketRoutes<AppRequestContext>) {
        let doc = OperationDoc(
            "A WebSocket to a running job's endpoint: the handshake goes to compute's /v1/jobs/{jobId}/endpoint/…, which checks the caller may view the job; the session cookie stands for the token, from this site's own pages only (403 otherwise)",
            tags: ["gateway"], open: true)
        for pattern in HTTPForwarder.mountPatterns("/endpoints/{jobId}") {
            ws.get(pattern, doc) { request, context in
                let jobID = context.parameters.get("jobId") ?? ""
                guard ID.isValid(jobID) else { throw APIError.notFound("no job \(jobID)", field: "jobId") }
                // A WebSocket is not bound by the same-origin policy: with the session cookie, a
                // page of another site could open one in the visitor's name (cross-site WebSocket
                // hijacking). The cookie counts only from this gateway's own pages.
                let carriesSession = !SessionCookies.tokens(cookieHeaders: request.headers[values: .cookie]).isEmpty
                if carriesSession
                    && !BrowserSecurity.isSameOrigin(
                        origin: request.headers[.origin], referer: nil, host: request.head.authority)
                {
                    throw APIError(
                        .forbidden, code: "cross_origin_request",
                        message: "a WebSocket opened with the session cookie must come from this site's own pages",
                        field: "Origin")
                }
                guard let base = proxy.upstreams[ServiceName.compute.rawValue] else {
                    throw APIError.notFound("no compute service", field: "service")
                }
                let authorization = await sessions.authorize(request)
                let rest = HTTPForwarder.remainder(of: request.uri.path, after: "/endpoints/\(jobID)")
                var url = "\(base)/v1/jobs/\(jobID)/endpoint\(rest)"
                if let query = request.uri.query, !query.isEmpty { url += "?\(query)" }
                let headers = ProxyHeaders.upstreamRequest(
                    request.headers, clientAddress: context.remoteAddress?.ipAddress, requestID: context.requestID,
                    bearer: authorization.bearer, authority: request.head.authority)
                var response = try await WebSocketRelay.forward(
                    to: .init(url: url, description: "the compute service at \(base)", field: "service"),
                    headers: headers, logger: context.logger)
                for cookie in authorization.setCookies {
                    response.headers.append(HTTPField(name: .setCookie, value: cookie))
                }
                return response
            }
        }
    }
}
