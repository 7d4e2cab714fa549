import Forwarding
import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import Platform

/// Forwards `/api/<service>/<rest>` to `<service URL>/<rest>` with the query intact, through
/// libs/Forwarding's `HTTPForwarder` (whole API calls, streamed uploads and downloads).
struct GatewayProxy: Sendable {
    let upstreams: [String: String]
    let forwarder: HTTPForwarder
    /// The gateway's credential, shown to users only: it vouches for X-Forwarded-For there
    /// (login throttling counts the client behind the gateway).
    let usersProof: String

    /// `request` to `serviceName`'s `/<path>` for a browser or a token client: a browser's
    /// session cookie becomes the bearer token (and a refreshed session's cookies go back with
    /// the answer); token clients pass as they are.
    func forward(
        _ request: Request, to serviceName: String, path: String, context: AppRequestContext,
        sessions: BrowserSessions
    ) async throws -> Response {
        let authorization = await sessions.authorize(request)
        var response = try await forward(
            request, to: serviceName, path: path, context: context, bearer: authorization.bearer)
        for cookie in authorization.setCookies {
            response.headers.append(HTTPField(name: .setCookie, value: cookie))
        }
        return response
    }

    /// `request` to `serviceName`'s `/<path>`, with the request's query.
    func forward(
        _ request: Request, to serviceName: String, path rest: String, context: AppRequestContext,
        bearer: String? = nil
    ) async throws -> Response {
        guard let base = upstreams[serviceName] else {
            throw APIError.notFound(
                "no service named \"\(serviceName)\"; known: \(upstreams.keys.sorted().joined(separator: ", "))",
                field: "service")
        }
        var target = "\(base)/\(rest)"
        if let query = request.uri.query, !query.isEmpty { target += "?\(query)" }
        let headers = ProxyHeaders.upstreamRequest(
            request.headers,
            clientAddress: context.remoteAddress?.ipAddress,
            requestID: context.requestID,
            gatewayProof: serviceName == ServiceName.users.rawValue ? usersProof : nil,
            bearer: bearer,
            authority: request.head.authority
        )
        return try await forwarder.forward(
            request,
            to: .init(url: target, description: "the \(serviceName) service at \(base)", field: "service"),
            headers: headers, logger: context.logger)
    }
}
