/// The cgroups of a job with several workers: the job's own at the workers' sum (what the node
/// holds for it, and what usage and kill cover), and one nested cgroup per worker with the
/// job's per-worker limits, so one worker cannot take another's memory or CPU and an OOM kill
/// names the worker it happened in.
extension JobCgroups {
    /// Worker `rank`'s cgroups, nested in the job's; nothing is created.
    public func worker(_ rank: Int) -> JobCgroups {
        JobCgroups(version: version, paths: paths.mapValues { $0 + "/worker-\(rank)" })
    }

    /// Makes the job's cgroups at `workers` times `limits` and each worker's at `limits`. On
    /// failure nothing is left behind. (Under v2 `create` hands the controllers down to the
    /// workers, whose parent holds no process of its own.)
    func create(workers: Int, limits: ResourceLimits) throws -> [JobCgroups] {
        try create(limits: limits.forWorkers(workers))
        do {
            return try (0..<workers).map { rank in
                let cgroups = worker(rank)
                try cgroups.create(limits: limits)
                return cgroups
            }
        } catch {
            try? remove()
            throw error
        }
    }
}
