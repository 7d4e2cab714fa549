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
            services: [upstreamClient],
            webSockets: EndpointWebSockets(proxy: proxy, sessions: sessions).register
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
            // Endpoints of running jobs and of deployments (docs/endpoints.md, docs/deployments.md):
            // compute checks the caller may view them; the session cookie stands for the token.
            let mounts: [(point: String, what: String, upstream: String)] = [
                ("endpoints", "job", "v1/jobs/{id}/endpoint"),
                ("deployments", "deployment", "v1/deployments/{id}/endpoint"),
            ]
            let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head]
            for mount in mounts {
                let doc = OperationDoc(
                    "A \(mount.what)'s endpoint: forwarded to compute's /\(mount.upstream)/…, which checks the caller may view it; the session cookie stands for the token",
                    tags: ["gateway"], open: true)
                for method in methods {
                    for pattern in HTTPForwarder.mountPatterns("/\(mount.point)/{id}") {
                        api.on(method, pattern, doc) { request, context in
                            let id = context.parameters.get("id") ?? ""
                            guard ID.isValid(id) else { throw APIError.notFound("no \(mount.what) \(id)", field: "id") }
                            let rest = HTTPForwarder.remainder(of: request.uri.path, after: "/\(mount.point)/\(id)")
                            let path = mount.upstream.replacingOccurrences(of: "{id}", with: id) + rest
                            return try await proxy.forward(
                                request, to: ServiceName.compute.rawValue, path: path, context: context,
                                sessions: sessions)
                        }
                    }
                }
            }
        }
    }
}
