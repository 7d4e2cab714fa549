import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Platform
import Synchronization

extension AuditTrail {
    /// Whether a request is audited: every POST, PUT, PATCH and DELETE except the few that
    /// change nothing or only say "still here" — searches sent as POST (`…/search`, MLflow's
    /// among them), a node's heartbeat and its long poll for instructions, which would bury
    /// the log under one entry a second per node — and what jobs and deployments serve.
    public static func audits(_ method: HTTPRequest.Method, route: String) -> Bool {
        guard [.post, .put, .patch, .delete].contains(method) else { return false }
        return !route.hasSuffix("/search") && !chatter.contains(route)
            && !servedByJobs.contains { route == $0 || route.hasPrefix($0 + "/") }
    }

    static let chatter: Set<String> = ["/v1/nodes/{id}/heartbeat", "/v1/nodes/{id}/instructions"]

    /// The mounts of jobs' and deployments' endpoints (docs/endpoints.md): what goes there is
    /// the job's own traffic — a model's invocations, thousands a second — and changes nothing of
    /// the platform's; creating, stopping and cancelling what serves them is audited.
    static let servedByJobs = ["/v1/jobs/{id}/endpoint", "/v1/deployments/{id}/endpoint"]

    /// Serves `request` through `next` and records how it ended: the answer's status, or the
    /// status of the error thrown (which goes on to the error middleware unchanged). Requests
    /// that are not audited pass straight through.
    public func observe<Context: PlatformRequestContext>(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let route = context.endpointPath ?? request.uri.path
        guard Self.audits(request.method, route: route) else { return try await next(request, context) }
        let started = AuditRequest(request, context: context, route: route, service: service.rawValue)
        let note = AuditNote()
        let response: Response
        do {
            response = try await AuditNote.$current.withValue(note) { try await next(request, context) }
        } catch {
            record(started.entry(status: Self.status(of: error), note: note.snapshot, answer: nil))
            throw error
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status), AnswerCapture.wanted(response) else {
            record(started.entry(status: status, note: note.snapshot, answer: nil))
            return response
        }
        // The answer's top-level `projectId` and `id` say which project and entity a create
        // acted on; read them as the body goes out, then record.
        let capture = AnswerCapture()
        var observed = response
        let mapped = response.body.map { buffer in
            capture.append(buffer)
            return buffer
        }
        observed.body = ResponseBody(contentLength: response.body.contentLength) { writer in
            defer { self.record(started.entry(status: status, note: note.snapshot, answer: capture.json)) }
            try await mapped.write(writer)
        }
        return observed
    }

    /// The status the error middleware will answer for `error`.
    static func status(of error: any Error) -> Int {
        switch error {
        case let error as APIError: Int(error.status.code)
        case let error as any APIErrorConvertible: Int(error.apiError.status.code)
        case let error as any HTTPResponseError: Int(error.status.code)
        case is DecodingError: 400
        case is NIOTooManyBytesError: 413
        default: 500
        }
    }
}

/// What is known of an audited request before it is served.
struct AuditRequest: Sendable {
    let service: String
    let method: String
    let route: String
    let path: String
    let parameters: [String: String]
    let queryProjectID: String?
    let remoteAddress: String?
    let peerAddress: String?
    let requestID: String

    init<Context: PlatformRequestContext>(_ request: Request, context: Context, route: String, service: String) {
        self.service = service
        method = request.method.rawValue
        self.route = route
        path = request.uri.path
        var parameters: [String: String] = [:]
        for (name, value) in context.parameters { parameters[String(name)] = String(value) }
        self.parameters = parameters
        queryProjectID = request.uri.queryParameters.get("projectId")
        peerAddress = context.remoteAddress?.ipAddress
        // The gateway appends the client it saw as the last hop. Not proven here (any caller of
        // a service's own port can send the header), which is why the peer is kept beside it.
        let forwarded = request.headers[.forwardedFor]?.split(separator: ",").last?.trimmingCharacters(in: .whitespaces)
        remoteAddress = forwarded.flatMap { $0.isEmpty ? nil : String($0.prefix(64)) } ?? peerAddress
        requestID = context.requestID
    }

    /// The entry for this request ending with `status`. Its entity is the one the answer
    /// describes (a run just created under `/v1/experiments/{id}/runs`), else the route's `{id}`.
    func entry(status: Int, note: AuditNote.Fields, answer: JSONValue?) -> AuditEntry {
        var actor = note.actor ?? AuditEntry.Actor(kind: .anonymous)
        if actor.name == nil { actor.name = note.accountName }
        return AuditEntry(
            service: service, actor: actor, method: method, route: route, path: path,
            entityID: note.entityID ?? answer?["id"]?.stringValue ?? parameters["id"],
            projectID: note.projectID ?? projectID(answer: answer), status: status, remoteAddress: remoteAddress,
            peerAddress: peerAddress, requestID: requestID)
    }

    /// The project a request acted in, by the generic rules: a `{projectId}` in the route, the
    /// `{id}` of a `/v1/projects/{id}…` route, the answer's top-level `projectId` (or the `id`
    /// of a project just created), else a `projectId` query parameter.
    func projectID(answer: JSONValue?) -> String? {
        if let id = parameters["projectId"] { return id }
        if route.hasPrefix("/v1/projects/{id}"), let id = parameters["id"] { return id }
        if let id = answer?["projectId"]?.stringValue { return id }
        if route == "/v1/projects", method == "POST", let id = answer?["id"]?.stringValue { return id }
        return queryProjectID
    }
}

/// The first bytes of a JSON answer, kept while it is written, to read two fields from.
final class AnswerCapture: Sendable {
    static let limit = 256 * 1024
    private let bytes = Mutex<ByteBuffer?>(ByteBuffer())

    /// JSON answers of known, modest size: larger ones are listings or files, not one entity.
    static func wanted(_ response: Response) -> Bool {
        guard let type = response.headers[.contentType], type.contains("json") else { return false }
        guard let length = response.body.contentLength else { return true }
        return length > 0 && length <= limit
    }

    func append(_ buffer: ByteBuffer) {
        bytes.withLock { kept in
            guard var current = kept else { return }
            if current.readableBytes + buffer.readableBytes > Self.limit {
                kept = nil
                return
            }
            var copy = buffer
            current.writeBuffer(&copy)
            kept = current
        }
    }

    var json: JSONValue? {
        guard let buffer = bytes.withLock({ $0 }), buffer.readableBytes > 0 else { return nil }
        return try? JSONValue.parse(String(buffer: buffer))
    }
}

extension AuditTrail {
    /// A handler that records itself, for routes served without a token (registration,
    /// sign-in), which `AuthMiddleware` does not stand in front of. The handler names the
    /// account tried (`AuditNote.current?.account(…)`) and, once known, the actor.
    public func auditing<Context: PlatformRequestContext, Output: ResponseGenerator>(
        _ handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) -> @Sendable (Request, Context) async throws -> Response {
        { request, context in
            try await self.observe(request, context: context) { request, context in
                try await handler(request, context).response(from: request, context: context)
            }
        }
    }
}
