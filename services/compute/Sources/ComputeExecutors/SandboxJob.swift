/// Everything the supervisor needs to run one job; stored as `job.json` in the job directory so
/// the detached supervisor (and a restarted agent) can read it back.
public struct SandboxJob: Codable, Sendable {
    /// UUID-like; only `[A-Za-z0-9-]` because it becomes a directory and a cgroup name.
    public var jobId: String
    /// argv inside the sandbox; the working directory is /job.
    public var command: [String]
    public var environment: [String: String]
    public var inputs: [ReadOnlyMount]
    public var limits: ResourceLimits
    public var timeoutSeconds: Int?
    /// The container image for executors that run images (docker); nil for the local executor.
    public var image: String?
    /// Workers running `command` together (`WorkerEnvironment`); `limits` hold for each worker,
    /// the disk (/job, /output, /tmp) is the job's, shared by its workers. 1 in a job.json
    /// written before multi-worker jobs.
    public var workers: Int

    public init(
        jobId: String,
        command: [String],
        environment: [String: String] = [:],
        inputs: [ReadOnlyMount] = [],
        limits: ResourceLimits,
        timeoutSeconds: Int? = nil,
        image: String? = nil,
        workers: Int = 1
    ) {
        self.jobId = jobId
        self.command = command
        self.environment = environment
        self.inputs = inputs
        self.limits = limits
        self.timeoutSeconds = timeoutSeconds
        self.image = image
        self.workers = workers
    }

    private enum CodingKeys: String, CodingKey {
        case jobId, command, environment, inputs, limits, timeoutSeconds, image, workers
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            jobId: try container.decode(String.self, forKey: .jobId),
            command: try container.decode([String].self, forKey: .command),
            environment: try container.decode([String: String].self, forKey: .environment),
            inputs: try container.decode([ReadOnlyMount].self, forKey: .inputs),
            limits: try container.decode(ResourceLimits.self, forKey: .limits),
            timeoutSeconds: try container.decodeIfPresent(Int.self, forKey: .timeoutSeconds),
            image: try container.decodeIfPresent(String.self, forKey: .image),
            workers: try container.decodeIfPresent(Int.self, forKey: .workers) ?? 1
        )
    }
}
