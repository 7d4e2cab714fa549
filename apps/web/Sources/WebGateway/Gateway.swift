import AsyncHTTPClient
import Auth
import Hummingbird
import Logging
import Platform
import Prometheus

/// The single origin (`:8000`): `/api/<service>/…` goes to that service; the web UI will be
/// served from here too.
public enum Gateway {
    /// The gateway's credential file (`mlex.service.credentialFile`, a compose secret), shown to users.
    public static let extraSettings = [ServiceCredential.fileSetting]

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
        let proxy = GatewayProxy(upstreams: upstreams, client: upstreamClient.client, usersProof: proof)
        return try PlatformApplication.build(
            info: info, settings: settings, logger: logger, metrics: metrics,
            services: [upstreamClient]
        ) { api in
            let doc = OperationDoc(
                "Forward to a service: the same method, headers (plus X-Forwarded-For and X-Request-Id), query and streamed body; 502 naming the service when it is down",
                tags: ["gateway"],
                open: true
            )
            for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
                api.on(method, "/api/{service}/**", doc) { request, context in
                    try await proxy.forward(request, context: context)
                }
            }
        }
    }
}
