import ComputeExecutors
import ComputeWire
import Foundation

/// One document of the stats API, the fields the executor reports. The daemon reads them from
/// the container's cgroups; v1 and v2 name memory counters differently, so both are read.
struct ContainerStats: Decodable {
    struct CPU: Decodable {
        struct Usage: Decodable { let total_usage: UInt64? }
        let cpu_usage: Usage?
    }
    struct Memory: Decodable {
        let usage: UInt64?
        /// cgroup v1's high-water mark; v2 keeps none, so the executor tracks the highest sample.
        let max_usage: UInt64?
        let stats: [String: UInt64]?
    }
    struct Pids: Decodable { let current: UInt64? }

    let cpu_stats: CPU?
    let memory_stats: Memory?
    let pids_stats: Pids?

    /// Usage as the local executor reports it. Memory leaves out inactive page cache, as
    /// `docker stats` does: the kernel reclaims it before an OOM kill.
    var usage: ResourceUsage {
        let memory = memory_stats?.usage ?? 0
        let inactive = memory_stats?.stats?["total_inactive_file"] ?? memory_stats?.stats?["inactive_file"] ?? 0
        let current = Int(memory > inactive ? memory - inactive : memory)
        return ResourceUsage(
            cpuSeconds: Double(cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
            memoryBytes: current,
            memoryPeakBytes: max(current, Int(memory_stats?.max_usage ?? 0)),
            pids: Int(pids_stats?.current ?? 0)
        )
    }

    /// A stopped container's stats document is all zeros (no cgroup left to read).
    var isEmpty: Bool { (cpu_stats?.cpu_usage?.total_usage ?? 0) == 0 && (memory_stats?.usage ?? 0) == 0 }
}
