import ComputeWire
import Metrics

/// Usage from agents' heartbeats in /metrics (Prometheus): per node and per running job,
/// measured from the jobs' cgroups.
enum ComputeMetrics {
    static func record(node: String, total: Usage, jobs: [String: Usage]) {
        gauges(node: node, job: nil, total)
        for (job, usage) in jobs { gauges(node: node, job: job, usage) }
    }

    private static func gauges(node: String, job: String?, _ usage: Usage) {
        let prefix = job == nil ? "mlex_compute_node" : "mlex_compute_job"
        var dimensions = [("node", node)]
        if let job { dimensions.append(("job", job)) }
        Gauge(label: "\(prefix)_cpu_seconds", dimensions: dimensions).record(usage.cpuSeconds)
        Gauge(label: "\(prefix)_memory_bytes", dimensions: dimensions).record(usage.memoryBytes)
        Gauge(label: "\(prefix)_memory_peak_bytes", dimensions: dimensions).record(usage.memoryPeakBytes)
        Gauge(label: "\(prefix)_pids", dimensions: dimensions).record(usage.pids)
    }
}
