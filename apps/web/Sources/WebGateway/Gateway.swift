import AsyncHTTPClient
import Auth
import Forwarding
import HTTPTypes
import Hummingbird
import Logging
import Platform
import Prometheus

/// The single origin (`:8000`): `/api/<service>/…` goes to that service, and the web
/// application is served from `/` (docs/web.md).
public enum Gateway {
    /// The gateway's credential file (`mlex.service.credentialFile`, a compose secret), shown to users.
    public static let extraSettings = [ServiceCredential.fileSetting] + WebSettings.all

    public static let info = ServiceInfo(
        name: .web,
        title: "MLExchange gateway",
        summary: "One origin for every service: /api/<service>/<path> is forwarded to that service's /<path>."
    )

    public static func buildApplication(
        settings: ServiceSettings,
        logger: Logger,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) throws -> some ApplicationProtocol {
        let upstreamClient = UpstreamClient()
        let upstreams = Dictionary(
            uniqueKeysWithValues: ServiceName.backends.map { ($0.rawValue, settings.peerURLs[$0]!) })
        let proof = try ServiceCredential.load(
            .web, stateDirectory: settings.stateDirectory, file: settings.config.string(ServiceCredential.fileSetting))
        let proxy = GatewayProxy(
            upstreams: upstreams, forwarder: HTTPForwarder(client: upstreamClient.client), usersProof: proof)
        let sessions = BrowserSessions(
            client: upstreamClient.client, usersURL: settings.peerURLs[.users]!, usersProof: proof)
        let assets = StaticFiles(root: settings.config.string(WebSettings.assets))
        let vendor = StaticFiles(root: settings.config.string(WebSettings.vendor))
        return try PlatformApplication.build(
            info: info, settings: settings, logger: logger, metrics: metrics,
            services: [upstreamClient]
        ) { api in
            api.router.add(middleware: BrowserGuard())
            BrowserRoutes.register(api, assets: assets, vendor: vendor, sessions: sessions)
            MLflowRoutes.register(api, proxy: proxy, sessions: sessions)
            let doc = OperationDoc(
                "Forward to a service: the same method, headers (plus X-Forwarded-For and X-Request-Id), query and streamed body; 502 naming the service when it is down",
                tags: ["gateway"],
                open: true
            )
            for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
                api.on(method, "/api/{service}/**", doc) { request, context in
                    try await proxy.forward(
                        request, to: context.parameters.get("service") ?? "",
                        path: context.parameters.getCatchAll().joined(separator: "/"), context: context,
                        sessions: sessions)
                }
            }
            let endpointDoc = OperationDoc(
                "A running job's endpoint (docs/endpoints.md): forwarded to compute's /v1/jobs/{jobId}/endpoint/…, which checks the caller may view the job; the session cookie stands for the token",
                tags: ["gateway"], open: true)
            let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head]
            for method in methods {
                for pattern in HTTPForwarder.mountPatterns("/endpoints/{jobId}") {
                    api.on(method, pattern, endpointDoc) { request, context in
                        let jobID = context.parameters.get("jobId") ?? ""
                        guard ID.isValid(jobID) else { throw APIError.notFound("no job \(jobID)", field: "jobId") }
                        let rest = HTTPForwarder.remainder(of: request.uri.path, after: "/endpoints/\(jobID)")
                        return try await proxy.forward(
                            request, to: ServiceName.compute.rawValue, path: "v1/jobs/\(jobID)/endpoint\(rest)",
                            context: context, sessions: sessions)
                    }
                }
            }
        }
    }
}
