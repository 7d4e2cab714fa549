import ComputeWire
import Glibc

/// cgroup v1: one directory per controller (memory, cpu, cpuacct, pids, freezer).
extension JobCgroups {
    static let cfsPeriodMicroseconds = 100_000

    func applyV1(_ limits: ResourceLimits) throws {
        let memory = try path("memory")
        let cpu = try path("cpu")
        let pids = try path("pids")
        let freezer = try path("freezer")
        let bytes = String(limits.memoryMB * 1024 * 1024)
        try SysFile.write(bytes, to: memory + "/memory.limit_in_bytes")
        // Without this the job could spill past the limit into swap.
        let memsw = memory + "/memory.memsw.limit_in_bytes"
        if access(memsw, F_OK) == 0 { try SysFile.write(bytes, to: memsw) }

        let quota = max(1_000, Int((limits.cpus * Double(Self.cfsPeriodMicroseconds)).rounded()))
        try SysFile.write(String(Self.cfsPeriodMicroseconds), to: cpu + "/cpu.cfs_period_us")
        try SysFile.write(String(quota), to: cpu + "/cpu.cfs_quota_us")
        try SysFile.write(String(limits.pids), to: pids + "/pids.max")
        try SysFile.write("THAWED", to: freezer + "/freezer.state")
    }

    /// v1 has no cgroup.kill. Killing pid by pid races with fork, so freeze the cgroup first
    /// (nothing can fork while frozen), SIGKILL everything listed, thaw so the signals land,
    /// and repeat until the cgroup is empty.
    func killV1() throws {
        let state = try path("freezer") + "/freezer.state"
        for _ in 0..<200 {
            if processIDs().isEmpty { return }
            try? SysFile.write("FROZEN", to: state)
            for _ in 0..<40 where SysFile.read(state)?.hasPrefix("FROZEN") != true {
                usleep(5_000)
            }
            for pid in processIDs() { _ = Glibc.kill(pid, SIGKILL) }
            try? SysFile.write("THAWED", to: state)
            usleep(5_000)
        }
        throw ExecutorError(.cgroup, "processes survive SIGKILL in \(state)")
    }

    func usageV1() -> ResourceUsage? {
        guard let memory = paths["memory"], let memoryBytes = SysFile.readInt(memory + "/memory.usage_in_bytes") else {
            return nil
        }
        let cpuNanoseconds = paths["cpuacct"].flatMap { SysFile.readInt($0 + "/cpuacct.usage") } ?? 0
        return ResourceUsage(
            cpuSeconds: Double(cpuNanoseconds) / 1e9,
            memoryBytes: memoryBytes,
            memoryPeakBytes: SysFile.readInt(memory + "/memory.max_usage_in_bytes") ?? memoryBytes,
            pids: paths["pids"].flatMap { SysFile.readInt($0 + "/pids.current") } ?? 0
        )
    }

    private func path(_ controller: String) throws -> String {
        guard let path = paths[controller] else {
            throw ExecutorError(.cgroup, "no \(controller) cgroup for this job")
        }
        return path
    }
}
