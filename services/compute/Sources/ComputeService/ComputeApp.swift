import Auth
import Backends
import DataClient
import Forwarding
import Foundation
import Hummingbird
import Logging
import Platform
import Prometheus

/// The compute service: jobs (submit, watch, cancel, rerun, logs, outputs), their scheduling
/// onto nodes, and the API its agents (`mlex-compute-agent`) use. A job is a run in data
/// (docs/design.md §4). Tests build exactly this.
public enum ComputeApp {
    public static let info = ServiceInfo(
        name: .compute, title: "MLExchange compute",
        summary:
            "Training jobs on constrained resources: submit a command or a DDL main.py with dataset inputs, watch state, progress and logs live, cancel, rerun, and find the outputs in the job's run. Templates name an environment (an image or the node's own system, setup commands, default and allowed resources). Nodes run jobs through their agents with kernel-enforced limits."
    )
    public static let extraSettings = ComputeSettings.all + Backends.settings + ServiceAuthentication.settings

    /// `now` is the clock of what expires (accounting records, usage samples): tests move it.
    public static func buildApplication(
        settings: ServiceSettings, logger: Logger, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> some ApplicationProtocol {
        let options = try ComputeSettings(settings)
        // Read before anything opens: a bad seed file stops the start like a bad setting.
        let seeds = try TemplateSeeds.load(from: options.templatesDirectory, defaultDiskMB: options.defaultDiskMB)
        let backends = try await Backends.open(settings, domains: ["compute"], logger: logger)
        let auth = try await ServiceAuthentication.start(settings: settings, bus: backends.bus, logger: logger)
        let tokens = auth.serviceTokens
        let data = DataClient.peer(of: settings) { try await tokens.token() }
        let memberships = ProjectMemberships(store: backends.store, data: data)
        let core = ComputeCore(
            store: backends.store, data: data, authorizer: Authorizer(memberships: memberships), settings: options)
        try await seeds.insertMissing(into: TemplateDirectory(core: core), logger: logger)

        // Requests for jobs' endpoints go to the agents through it (EndpointRoutes).
        let agentsClient = UpstreamClient()
        let deployments = Deployments(core: core)
        return try PlatformApplication.build(
            info: info, settings: settings, logger: logger, metrics: metrics, context: AuthRequestContext.self,
            readiness: backends.readiness,
            services: [
                auth.follower, memberships.follower(group: "compute.memberships", bus: backends.bus, logger: logger),
                NodeWatch(core: core, logger: logger), agentsClient,
                DeploymentReconciler(deployments: deployments, logger: logger),
                ComputeRetention(
                    store: core.store, accountingRetention: options.accountingRetention,
                    usageWindow: options.usageWindow, now: now, logger: logger),
            ]
                + backends.services(logger: logger),
            authentication: auth.middleware(),
            webSockets: EndpointWebSocketRoutes(core: core).register
        ) { api in
            JobRoutes.register(api, core)
            JobStreamRoutes.register(api, core)
            TemplateRoutes.register(api, core)
            NodeRoutes.register(api, core)
            AgentRoutes.register(api, core)
            QuotaRoutes.register(api, core)
            UsageRoutes.register(api, core)
            let forwarder = HTTPForwarder(client: agentsClient.client)
            EndpointRoutes.register(api, core, forwarder: forwarder)
            DeploymentRoutes.register(api, deployments)
            DeploymentEndpointRoutes.register(api, deployments, forwarder: forwarder)
        }
    }
}
