import Auth
import Forwarding
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Platform

/// `/v1/deployments/{id}/endpoint/**` (the gateway's `/deployments/{id}/…`): a request for a
/// deployment goes to one of its running replicas in turn, as a job's endpoint request goes to
/// its job (`EndpointTarget`). Invocations are checked against the input schema first. A
/// request for a deployment scaled to zero starts its replicas and waits — up to
/// `coldStartLimit` — for one to answer: a replica whose server is not listening yet answers
/// 502, and the request is sent again a moment later, which is why bodies are read whole
/// (up to `maxBodyBytes`) rather than streamed.
enum DeploymentEndpointRoutes {
    static let maxBodyBytes = 64 << 20
    static let coldStartLimit = Duration.seconds(300)
    static let retryPause = Duration.milliseconds(100)

    static func register(_ api: APIBuilder<AuthRequestContext>, _ deployments: Deployments, forwarder: HTTPForwarder) {
        let doc = OperationDoc(
            "Send a request to the deployment (project viewers): one of its running replicas answers, in turn; POST …/invocations bodies are checked against its inputSchema (400 naming the field); a deployment scaled to zero starts again and the request waits for its first replica (up to 300 s); 503 once stopped",
            tags: ["deployments"])
        let nodes = NodeDirectory(core: deployments.core)
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
            for pattern in HTTPForwarder.mountPatterns("/v1/deployments/{id}/endpoint") {
                api.on(method, pattern, doc) { request, context in
                    let principal = try context.requirePrincipal()
                    let id = try context.parameters.requireID("id")
                    var deployment = try await deployments.visible(id, context, needs: .viewer)
                    deployments.touch(id)
                    let rest = HTTPForwarder.remainder(of: request.uri.path, after: "/v1/deployments/\(id)/endpoint")
                    let body: ByteBuffer? =
                        method == .get || method == .head ? nil : try await collectBody(request, context: context)
                    if method == .post, rest.hasSuffix("/invocations"),
                        let schema = try deployment.spec.parsedInputSchema()
                    {
                        try InvocationCheck.check(body ?? ByteBuffer(), against: schema)
                    }
                    let began = ContinuousClock.now
                    var woke = false
                    while true {
                        switch deployment.state {
                        case .stopped:
                            throw APIError.unavailable("deployment \(id) is stopped", field: "endpoint")
                        case .idle:
                            let (current, didWake) = try await deployments.wake(id)
                            deployment = current
                            woke = woke || didWake
                        case .active: break
                        }
                        if let target = deployments.pick(among: try await running(deployment, nodes), of: id) {
                            let (upstream, headers) = target.forwarding(
                                request, after: "/v1/deployments/\(id)/endpoint", prefix: "/deployments/\(id)",
                                principal: principal, requestID: context.requestID)
                            let response = try await forwarder.forward(
                                Request(head: request.head, body: body.map { RequestBody(buffer: $0) } ?? request.body),
                                to: upstream, headers: headers, logger: context.logger)
                            let starting =
                                response.status == .badGateway && !deployments.hasAnswered(target.job.id)
                            if !starting || ContinuousClock.now - began > coldStartLimit {
                                if !starting { deployments.markAnswered(target.job.id) }
                                if woke { try await deployments.recordColdStart(id, took: ContinuousClock.now - began) }
                                deployments.touch(id)
                                return response
                            }
                        } else if ContinuousClock.now - began > coldStartLimit {
                            throw APIError.unavailable(
                                "no replica of deployment \(id) is running after \(coldStartLimit)", field: "endpoint")
                        }
                        await Retry.pause(retryPause)
                        deployment = try await deployments.get(id) ?? deployment
                    }
                }
            }
        }
    }

    /// The replicas that run now, as compute reaches them.
    static func running(_ deployment: DeploymentRecord, _ nodes: NodeDirectory) async throws -> [EndpointTarget] {
        var targets: [EndpointTarget] = []
        for id in deployment.replicaJobs {
            guard let job = try await nodes.core.jobs.get(id), job.state == .running else { continue }
            if let target = try? await EndpointTarget.of(job, nodes: nodes) { targets.append(target) }
        }
        return targets
    }

    /// The whole body, 413 naming it past `maxBodyBytes`.
    static func collectBody(_ request: Request, context: some RequestContext) async throws -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBodyBytes {
            throw tooLarge
        }
        do {
            return try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            throw tooLarge
        }
    }

    static let tooLarge = APIError(
        .contentTooLarge, code: "body_too_large",
        message:
            "a request to a deployment is at most \(maxBodyBytes >> 20) MiB (it is kept to send again while replicas start)",
        field: "body")
}
