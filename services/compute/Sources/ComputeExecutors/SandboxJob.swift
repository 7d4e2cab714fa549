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

    public init(
        jobId: String,
        command: [String],
        environment: [String: String] = [:],
        inputs: [ReadOnlyMount] = [],
        limits: ResourceLimits,
        timeoutSeconds: Int? = nil,
        image: String? = nil
    ) {
        self.jobId = jobId
        self.command = command
        self.environment = environment
        self.inputs = inputs
        self.limits = limits
        self.timeoutSeconds = timeoutSeconds
        self.image = image
    }
}
