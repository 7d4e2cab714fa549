/// Counters read from a job's cgroups (or a whole node's, summed): measured by the executors,
/// reported by the agent in heartbeats and job reports, kept by compute in a job's usage history.
public struct ResourceUsage: Codable, Sendable, Equatable {
    public var cpuSeconds: Double
    public var memoryBytes: Int
    public var memoryPeakBytes: Int
    /// Live: tasks alive now. In a final result: the peak the kernel recorded (`pids.peak`) when
    /// it keeps one, because the live count is always 0 once the job has ended.
    public var pids: Int

    public init(cpuSeconds: Double, memoryBytes: Int, memoryPeakBytes: Int, pids: Int) {
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.memoryPeakBytes = memoryPeakBytes
        self.pids = pids
    }
}
