import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Platform

/// Forwards a request to another HTTP server and hands its answer back: the gateway to the
/// services, compute to the agent holding a job, an agent to a job's socket. API calls (bodies
/// up to `bufferedBodyBytes` both ways) pass whole; uploads and downloads stream through a few
/// buffers, never the whole file.
public struct HTTPForwarder: Sendable {
    public let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    /// Where a request goes and what to call it when it does not answer.
    public struct Upstream: Sendable {
        /// The full URL, query included (`http+unix://<percent-encoded socket path>/path` for a socket).
        public var url: String
        /// Names the upstream in the 502, e.g. "the data service at http://127.0.0.1:8082".
        public var description: String
        /// The field the 502 names (`service`, `endpoint`).
        public var field: String

        public init(url: String, description: String, field: String) {
            self.url = url
            self.description = description
            self.field = field
        }
    }

    /// Sends `request` (its method and body) to `upstream` with `headers`, and answers with the
    /// upstream's status, end-to-end headers and body; 502 when the upstream cannot be reached.
    public func forward(
        _ request: Request, to upstream: Upstream, headers: HTTPHeaders, logger: Logger
    ) async throws -> Response {
        var outgoing = HTTPClientRequest(url: upstream.url)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        outgoing.headers = headers
        // Set only while the client's body streams to the upstream.
        var gate: UploadGate?
        if request.method != .get && request.method != .head {
            let declared = request.headers[.contentLength].flatMap(Int64.init)
            if let declared, (0...Self.bufferedBodyBytes).contains(declared) {
                // An API call's body is sent whole with its head. Streamed, an upstream that
                // answered before the upload began (a 401, a 404) made AsyncHTTPClient end the
                // upload short of its declared length and fail the answer already on its way:
                // the client got the head and no body.
                outgoing.body = .bytes(try await request.body.collect(upTo: Int(declared)))
            } else {
                let uploadGate = UploadGate()
                outgoing.body = .stream(
                    uploadGate.guarding(request.body), length: declared.map { .known($0) } ?? .unknown)
                gate = uploadGate
            }
        }

        let response: HTTPClientResponse
        do {
            // The deadline covers sending the request and receiving the head; a long upload
            // must fit in it, so it is generous. Streaming the response afterwards has no limit.
            response = try await client.execute(outgoing, timeout: .hours(6), logger: logger)
        } catch {
            await gate?.close()
            throw unreachable(upstream, error, logger: logger)
        }
        let status = HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase)
        let fields = HopByHop.downstream(response.headers)
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
                throw unreachable(upstream, error, logger: logger)
            }
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
        }
        return Response(
            status: status,
            headers: fields,
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

    /// What follows `prefix` in a request's path as the client sent it ("" or "/…"), its
    /// encoding and a trailing slash kept: a server behind a mount point (`/endpoints/{jobId}`)
    /// sees its own path exactly, which a router's catch-all would normalise.
    public static func remainder(of path: String, after prefix: String) -> String {
        guard path.hasPrefix(prefix) else { return path }
        return String(path.dropFirst(prefix.count))
    }

    /// A mount point's routes: the point itself and everything under it.
    public static func mountPatterns(_ point: String) -> [String] { [point, point + "/**"] }

    /// Bodies up to this size (every JSON call and its answer) are read whole before they are
    /// forwarded; larger ones (uploads, downloads) stream through, never whole in memory.
    public static let bufferedBodyBytes: Int64 = 1 << 20

    /// Whether an answer of `status` to `method` carries the body its `Content-Length` counts
    /// (RFC 9110 §6.4.1): a HEAD's or a 304's counts a body that is never sent.
    public static func hasBody(_ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Bool {
        method != .head && status.code >= 200 && status != .noContent && status != .notModified
    }

    private func unreachable(_ upstream: Upstream, _ error: any Error, logger: Logger) -> APIError {
        logger.warning(
            "upstream unreachable", metadata: ["upstream": "\(upstream.description)", "error": "\(error)"])
        return APIError(
            .badGateway, code: "bad_gateway",
            message: "\(upstream.description) did not answer: \(Self.reason(error))", field: upstream.field
        )
    }

    public static func reason(_ error: any Error) -> String {
        if let clientError = error as? HTTPClientError { return clientError.shortDescription }
        return String(describing: error)
    }
}
