import Auth
import ComputeDocker
import ComputeExecutors
import ComputeSlurm
import ComputeWire
import DataClient
import Forwarding
import Foundation
import Hummingbird
import Logging
import Platform
import Prometheus
import ServiceLifecycle

/// `mlex-compute-agent`: the node agent as a process with health, readiness and metrics on its
/// own port. It acts with compute's service identity (same credential) and runs jobs with the
/// local executor (which refuses to start without usable cgroups), the docker executor (which
/// refuses to start without a reachable daemon) or the slurm executor (which refuses to start
/// without a reachable slurmctld), as `mlex.agent.executor` says.
public enum AgentApp {
    public static let info = ServiceInfo(
        name: .compute, title: "MLExchange compute agent",
        summary:
            "Runs compute's jobs on this node in sandboxes with kernel-enforced limits; only health, readiness and metrics are served here."
    )
    public static let extraSettings = AgentSettings.all + ServiceAuthentication.settings

    /// `supervisor`: the argv prefix that starts a job's detached supervisor
    /// (`mlex-compute-supervisor`; the job dir is appended).
    public static func buildApplication(
        settings: ServiceSettings, logger: Logger, metrics: PrometheusCollectorRegistry, supervisor: [String]
    ) async throws -> some ApplicationProtocol {
        var options = try AgentSettings(settings)
        try FileManager.default.createDirectory(
            at: options.stateDirectory.appendingPathComponent("offsets"), withIntermediateDirectories: true)
        let jobs = options.stateDirectory.appendingPathComponent("jobs", isDirectory: true)
        let executor: any Executor
        // Long-lived work of the executor's own, started before the agent and stopped after it.
        var executorServices: [any Service] = []
        switch options.executor {
        case .local:
            executor = try LocalExecutor(root: jobs, supervisor: supervisor, uid: options.uid, gid: options.gid)
        case .docker:
            let docker = try await DockerExecutor(
                root: jobs, engine: DockerEngine(socketPath: options.dockerSocket), uid: options.uid, gid: options.gid)
            executor = docker
            executorServices.append(DockerExecutorService(executor: docker))
        case .slurm:
            let slurm = try SlurmExecutor(
                root: jobs,
                commands: SlurmCommands(
                    binDirectory: options.slurmBin,
                    environment: options.slurmConf.isEmpty ? [:] : ["SLURM_CONF": options.slurmConf]),
                partition: options.slurmPartition, uid: options.uid, gid: options.gid)
            // The node is the partition (unless the settings offer less): compute schedules onto
            // its capacity, Slurm places.
            let capacity = try slurm.capacity()
            if settings.config.string(AgentSettings.cpus) == "0" { options.cpus = Double(capacity.cpus) }
            if settings.config.string(AgentSettings.memoryMB) == "0" { options.memoryMB = capacity.memoryMB }
            // The ids only count GPUs for compute's scheduler; Slurm picks the devices and names
            // them to the job in CUDA_VISIBLE_DEVICES.
            if options.gpus.isEmpty { options.gpus = (0..<capacity.gpus).map(String.init) }
            executor = slurm
        }
        let nodeID = try nodeIdentity(in: options.stateDirectory)
        let users = UsersClient(
            baseURL: settings.peerURLs[.users] ?? "http://127.0.0.1:\(ServiceName.users.defaultPort)")
        let credential = try ServiceCredential.load(
            .compute, stateDirectory: settings.stateDirectory,
            file: settings.config.string(ServiceCredential.fileSetting))
        let tokens = ServiceTokenSource(service: .compute, credential: credential, users: users)
        let token: @Sendable () async throws -> String = { try await tokens.token() }
        let data = DataClient.peer(of: settings, token: token)
        let compute = ComputeClient(
            peer: PeerClient(
                baseURL: settings.peerURLs[.compute] ?? "http://127.0.0.1:\(ServiceName.compute.defaultPort)",
                token: token), nodeID: nodeID)
        let endpoints = JobEndpoints(nodeID: nodeID)
        let runner = JobRunner(
            executor: executor, data: data, compute: compute,
            inputs: JobInputs(data: data, stateDirectory: options.stateDirectory, uid: options.uid, gid: options.gid),
            endpoints: endpoints, settings: options, logger: logger
        )
        let registration = NodeRegistration(
            name: options.name, executor: executor.kind, queues: options.queues,
            capacity: NodeCapacity(
                cpus: options.cpus, memoryMB: options.memoryMB, gpus: options.gpus, diskMB: options.diskMB),
            endpointURL: options.endpointURL
        )
        // Requests for the jobs' endpoints go to their sockets through it.
        let socketsClient = UpstreamClient()
        let agent = ComputeAgent(
            settings: options, registration: registration, executor: executor, compute: compute, runner: runner,
            logger: logger)
        var httpSettings = settings
        httpSettings.port = options.port
        return try PlatformApplication.build(
            info: info, settings: httpSettings, logger: logger, metrics: metrics,
            services: executorServices + [socketsClient, agent],
            webSockets: endpoints.registerWebSockets
        ) { api in
            endpoints.register(api, forwarder: HTTPForwarder(client: socketsClient.client))
        }
    }

    /// The node's id, made on first start and kept: registering again with it is how a
    /// restarted agent gets its running jobs back.
    static func nodeIdentity(in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("node-id")
        if let text = try? String(contentsOf: file, encoding: .utf8),
            ID.isValid(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let id = ID.make()
        try id.write(to: file, atomically: true, encoding: .utf8)
        return id
    }
}
