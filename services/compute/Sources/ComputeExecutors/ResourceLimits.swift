/// What a job may use; every value is enforced by the kernel through the job's cgroups.
public struct ResourceLimits: Codable, Sendable, Equatable {
    /// CPU time per wall-clock second, e.g. 0.5 = half of one core (a CFS quota, not a pin).
    public var cpus: Double
    /// Hard memory ceiling (and memory+swap ceiling) in MiB; going past it invokes the OOM killer.
    public var memoryMB: Int
    /// Most tasks (processes and threads) alive at once. Two of them are bubblewrap's own
    /// (its monitor and the namespace's init), because they live in the job's cgroup too.
    public var pids: Int

    public init(cpus: Double, memoryMB: Int, pids: Int) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.pids = pids
    }
}

/// A host directory or file shown read-only inside the sandbox, e.g. a dataset at /data.
public struct ReadOnlyMount: Codable, Sendable, Equatable {
    public var hostPath: String
    public var sandboxPath: String

    public init(hostPath: String, sandboxPath: String) {
        self.hostPath = hostPath
        self.sandboxPath = sandboxPath
    }
}
