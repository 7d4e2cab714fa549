import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Platform

/// Forwards `/api/<service>/<rest>` to `<service URL>/<rest>` with the query intact. API calls
/// (bodies up to `bufferedBodyBytes` both ways) pass whole; uploads and downloads stream
/// through a few buffers, never the whole file.
struct GatewayProxy: Sendable {
    let upstreams: [String: String]
    let client: HTTPClient
    /// The gateway's credential, shown to users only: it vouches for X-Forwarded-For there
    /// (login throttling counts the client behind the gateway).
    let usersProof: String

    /// `/api/<service>/<rest>` → that service's `/<rest>`. `bearer`, when given, is sent as
    /// `Authorization` (a browser session's access token).
    func forward(_ request: Request, context: AppRequestContext, bearer: String? = nil) async throws -> Response {
        let serviceName = context.parameters.get("service") ?? ""
        let rest = context.parameters.getCatchAll().joined(separator: "/")
        return try await forward(request, to: serviceName, path: rest, context: context, bearer: bearer)
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

        var upstream = HTTPClientRequest(url: target)
        upstream.method = HTTPMethod(rawValue: request.method.rawValue)
        upstream.headers = ProxyHeaders.upstreamRequest(
            request.headers,
            clientAddress: context.remoteAddress?.ipAddress,
            requestID: context.requestID,
            gatewayProof: serviceName == ServiceName.users.rawValue ? usersProof : nil,
            bearer: bearer,
            authority: request.head.authority
        )
        // Set only while the client's body streams to the upstream.
        var gate: UploadGate?
        if request.method != .get && request.method != .head {
            let declared = request.headers[.contentLength].flatMap(Int64.init)
            if let declared, (0...Self.bufferedBodyBytes).contains(declared) {
                // An API call's body is sent whole with its head. Streamed, an upstream that
                // answered before the upload began (a 401, a 404) made AsyncHTTPClient end the
                // upload short of its declared length and fail the answer already on its way:
                // the client got the head and no body.
                upstream.body = .bytes(try await request.body.collect(upTo: Int(declared)))
            } else {
                let uploadGate = UploadGate()
                upstream.body = .stream(
                    uploadGate.guarding(request.body), length: declared.map { .known($0) } ?? .unknown)
                gate = uploadGate
            }
        }

        let response: HTTPClientResponse
        do {
            // The deadline covers sending the request and receiving the head; a long upload
            // must fit in it, so it is generous. Streaming the response afterwards has no limit.
            response = try await client.execute(upstream, timeout: .hours(6), logger: context.logger)
        } catch {
            await gate?.close()
            throw unreachable(serviceName, base, error, context: context)
        }
        let status = HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase)
        let headers = ProxyHeaders.downstreamResponse(response.headers)
        let length = response.headers.first(name: "content-length").flatMap(Int.init)

        if gate == nil, let length, Int64(length) <= Self.bufferedBodyBytes, Self.hasBody(request.method, status) {
            // An API answer is read whole and handed on as one buffer, so it leaves in one write
            // with its head: streamed, the head, each chunk and the end are separate writes, and
            // small answers paid for them several times over. Nothing of the client's is left to
            // read here, so there is no upload to keep apart from the answer.
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: length)
            } catch {
                throw unreachable(serviceName, base, error, context: context)
            }
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        return Response(
            status: status,
            headers: headers,
            body: ResponseBody(contentLength: length) { [gate] writer in
                // The gate closes only once the answer is out, so the client has it while an
                // upload the upstream never read is still arriving.
                do {
                    for try await chunk in response.body {
                        try await writer.write(chunk)
                    }
                    try await writer.finish(nil)
                } catch {
                    await gate?.close()
                    throw error
                }
                await gate?.close()
            }
        )
    }

    /// Bodies up to this size (every JSON call and its answer) are read whole before they are
    /// forwarded; larger ones (uploads, downloads) stream through, never whole in memory.
    static let bufferedBodyBytes: Int64 = 1 << 20

    /// Whether an answer of `status` to `method` carries the body its `Content-Length` counts
    /// (RFC 9110 §6.4.1): a HEAD's or a 304's counts a body that is never sent.
    static func hasBody(_ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Bool {
        method != .head && status.code >= 200 && status != .noContent && status != .notModified
    }

    private func unreachable(
        _ serviceName: String, _ base: String, _ error: any Error, context: AppRequestContext
    ) -> APIError {
        context.logger.warning("upstream unreachable", metadata: ["service": "\(serviceName)", "error": "\(error)"])
        return APIError(
            .badGateway, code: "bad_gateway",
            message: "the \(serviceName) service did not answer at \(base): \(Self.reason(error))", field: "service"
        )
    }

    static func reason(_ error: any Error) -> String {
        if let clientError = error as? HTTPClientError { return clientError.shortDescription }
        return String(describing: error)
    }
}
