import Forwarding
import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import Platform
import Synchronization

/// The endpoints of the jobs this agent runs. A job that declares one is told to listen on a
/// Unix socket in its work dir (`MLEX_ENDPOINT_SOCKET`, /job/endpoint.sock in the sandbox): it
/// needs no network, so its sandbox keeps none, and no other job can see the socket. Compute
/// forwards users' requests here with the job's endpoint key, and only requests with the key
/// of a job this agent holds reach its socket (docs/endpoints.md).
final class JobEndpoints: Sendable {
    static let environmentName = "MLEX_ENDPOINT_SOCKET"
    /// The socket in the job's work dir, as the job sees it.
    static let socketName = "endpoint.sock"
    static let socketInSandbox = "/job/\(socketName)"
    /// compute's EndpointRoutes sends it.
    static let keyField = "X-Mlex-Endpoint-Key"

    private struct Entry: Sendable {
        var key: String
        var socket: URL
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// The WebSockets relayed to each job's socket, closed when the job ends.
    let sockets = OpenSockets()
    /// A short directory of links to the sockets: a socket's path may be at most 107 bytes,
    /// and a work dir deep in the agent's state directory is often longer.
    let links: URL

    init(nodeID: String) {
        links = URL(fileURLWithPath: "/tmp/mlex-endpoints-\(nodeID.suffix(12))", isDirectory: true)
    }

    /// Opens `jobID`'s endpoint to requests carrying `key`; `workDirectory` is the job's work
    /// dir on this host, where it makes its socket.
    func open(_ jobID: String, key: String, workDirectory: URL) throws {
        let socket = workDirectory.appendingPathComponent(Self.socketName)
        try FileManager.default.createDirectory(at: links, withIntermediateDirectories: true)
        let link = links.appendingPathComponent(jobID)
        try? FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: socket)
        entries.withLock { $0[jobID] = Entry(key: key, socket: socket) }
    }

    func close(_ jobID: String) {
        entries.withLock { $0[jobID] = nil }
        try? FileManager.default.removeItem(at: links.appendingPathComponent(jobID))
        // A job's server may leave a child holding its connections: its clients still learn it ended.
        sockets.close(jobID)
    }

    /// `/v1/endpoints/{jobId}/**`, compute's only: the request goes to the job's socket.
    func register(_ api: APIBuilder<AppRequestContext>, forwarder: HTTPForwarder) {
        let doc = OperationDoc(
            "Forward to a running job's endpoint (compute only: the job's endpoint key in X-Mlex-Endpoint-Key); 404 for a job this agent holds no endpoint of, or a wrong key; 502 when the job does not listen on its socket",
            tags: ["endpoints"])
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
            for pattern in HTTPForwarder.mountPatterns("/v1/endpoints/{jobId}") {
                api.on(method, pattern, doc) { request, context in
                    let (upstream, headers) = try self.upstream(request, context)
                    return try await forwarder.forward(request, to: upstream, headers: headers, logger: context.logger)
                }
            }
        }
    }

    /// The same mount for WebSockets: the handshake goes to the job's socket and the client gets
    /// 101 only once the job's server accepted it; the job's sockets close when it ends.
    func registerWebSockets(_ ws: WebSocketRoutes<AppRequestContext>) {
        let doc = OperationDoc(
            "A WebSocket to a running job's endpoint (compute only: the job's endpoint key in X-Mlex-Endpoint-Key): 101 once the job's server accepted it, else its answer; 404 as for HTTP; 502 when the job does not listen",
            tags: ["endpoints"])
        for pattern in HTTPForwarder.mountPatterns("/v1/endpoints/{jobId}") {
            ws.get(pattern, doc) { request, context in
                let (upstream, headers) = try self.upstream(request, context)
                return try await WebSocketRelay.forward(
                    to: upstream, headers: headers, logger: context.logger, sockets: self.sockets,
                    group: context.parameters.get("jobId") ?? "")
            }
        }
    }

    /// Where `request` goes on the job's socket, with what fields: 404 unless it carries the key
    /// of a job whose endpoint is open here.
    private func upstream(
        _ request: Request, _ context: AppRequestContext
    ) throws -> (HTTPForwarder.Upstream, HTTPHeaders) {
        let jobID = context.parameters.get("jobId") ?? ""
        let given = request.headers[HTTPField.Name(Self.keyField)!] ?? ""
        guard let entry = entries.withLock({ $0[jobID] }), Self.same(given, entry.key) else {
            throw APIError.notFound("no endpoint of job \(jobID) on this node", field: "endpoint")
        }
        let rest = HTTPForwarder.remainder(of: request.uri.path, after: "/v1/endpoints/\(jobID)")
        // AsyncHTTPClient's form for a Unix socket: the socket's path, percent-encoded, as host.
        let host = links.appendingPathComponent(jobID).path.replacingOccurrences(of: "/", with: "%2F")
        var url = "http+unix://\(host)\(rest.isEmpty ? "/" : rest)"
        if let query = request.uri.query, !query.isEmpty { url += "?\(query)" }
        var headers = HopByHop.upstream(request.headers, dropping: [HTTPField.Name(Self.keyField)!])
        headers.replaceOrAdd(name: "Host", value: "localhost")
        let upstream = HTTPForwarder.Upstream(
            url: url, description: "job \(jobID)'s endpoint (\(Self.socketInSandbox))", field: "endpoint")
        return (upstream, headers)
    }

    /// Compares in time that does not depend on where the strings differ.
    static func same(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8)
        let b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
