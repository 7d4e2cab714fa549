import ComputeWire
import Glibc

/// cgroup v2: one directory with every controller. Written to the kernel documentation but NOT
/// exercised by the tests: the development machine is hybrid (v1 controllers, a controller-less
/// cgroup2 at /sys/fs/cgroup/unified), so this path has never run.
extension JobCgroups {
    func applyV2(_ limits: ResourceLimits) throws {
        guard let dir = paths["unified"] else { throw ExecutorError(.cgroup, "no unified cgroup for this job") }
        try SysFile.write(String(limits.memoryMB * 1024 * 1024), to: dir + "/memory.max")
        if access(dir + "/memory.swap.max", F_OK) == 0 { try SysFile.write("0", to: dir + "/memory.swap.max") }
        let quota = max(1_000, Int((limits.cpus * Double(Self.cfsPeriodMicroseconds)).rounded()))
        try SysFile.write("\(quota) \(Self.cfsPeriodMicroseconds)", to: dir + "/cpu.max")
        try SysFile.write(String(limits.pids), to: dir + "/pids.max")
    }

    /// cgroup.kill (Linux 5.14+) kills the whole subtree atomically, forks included.
    func killV2() throws {
        guard let dir = paths["unified"], access(dir, F_OK) == 0 else { return }
        try SysFile.write("1", to: dir + "/cgroup.kill")
        for _ in 0..<400 where !processIDs().isEmpty { usleep(5_000) }
        if !processIDs().isEmpty { throw ExecutorError(.cgroup, "processes survive cgroup.kill in \(dir)") }
    }

    func usageV2() -> ResourceUsage? {
        guard let dir = paths["unified"], let memoryBytes = SysFile.readInt(dir + "/memory.current") else { return nil }
        let cpuMicroseconds = SysFile.field("usage_usec", in: dir + "/cpu.stat") ?? 0
        return ResourceUsage(
            cpuSeconds: Double(cpuMicroseconds) / 1e6,
            memoryBytes: memoryBytes,
            memoryPeakBytes: SysFile.readInt(dir + "/memory.peak") ?? memoryBytes,
            pids: SysFile.readInt(dir + "/pids.current") ?? 0
        )
    }

    /// Hands memory, cpu and pids down to child cgroups. The kernel refuses (EBUSY) while the
    /// directory itself holds processes ("no internal processes"), so under v2 the agent must
    /// run in a delegated cgroup whose processes sit in a leaf, not in the parent we nest under.
    static func enableV2Controllers(in directory: String) throws {
        do {
            try SysFile.write("+memory +cpu +pids", to: directory + "/cgroup.subtree_control")
        } catch {
            throw ExecutorError(
                .cgroupsUnavailable,
                "cannot delegate memory/cpu/pids below \(directory) (move the agent into a leaf cgroup): \(error)")
        }
    }
}
