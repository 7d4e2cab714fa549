/// What a job may use; every value is enforced by the kernel: cpus, memory and pids through the
/// job's cgroups, disk through the size of the job's own filesystem (`JobDisk`). GPUs are
/// enforced by whoever hands them out: the scheduler's device ids on a local node, Slurm's gres
/// on the slurm executor.
public struct ResourceLimits: Codable, Sendable, Equatable {
    /// CPU time per wall-clock second, e.g. 0.5 = half of one core (a CFS quota, not a pin).
    public var cpus: Double
    /// Hard memory ceiling (and memory+swap ceiling) in MiB; going past it invokes the OOM killer.
    public var memoryMB: Int
    /// Most tasks (processes and threads) alive at once. Two of them are bubblewrap's own
    /// (its monitor and the namespace's init), because they live in the job's cgroup too.
    public var pids: Int
    /// What /job, /output and /tmp may hold together, in MiB: the size of the job's disk, made
    /// by `Executor.prepare`; writing past it fails with ENOSPC.
    public var diskMB: Int
    /// GPUs of each worker. The local and docker executors show the job the devices the
    /// scheduler gave it (`CUDA_VISIBLE_DEVICES`); the slurm executor asks Slurm for them (gres).
    public var gpus: Int

    /// The disk of a job whose assignment names none (one submitted before jobs had disks).
    public static let defaultDiskMB = 10240

    public init(cpus: Double, memoryMB: Int, pids: Int, diskMB: Int = defaultDiskMB, gpus: Int = 0) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.pids = pids
        self.diskMB = diskMB
        self.gpus = gpus
    }

    /// The limits of a job whose `workers` each get these: cpus, memory and pids times the
    /// workers (GPUs too); the disk is the job's once, whatever the number of workers.
    public func forWorkers(_ workers: Int) -> ResourceLimits {
        ResourceLimits(
            cpus: cpus * Double(workers), memoryMB: memoryMB * workers, pids: pids * workers, diskMB: diskMB,
            gpus: gpus * workers)
    }

    private enum CodingKeys: String, CodingKey {
        case cpus, memoryMB, pids, diskMB, gpus
    }

    /// A job.json written before jobs had disks has no `diskMB`, one written before jobs asked
    /// Slurm for GPUs no `gpus` (such a job was submitted without any).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cpus = try container.decode(Double.self, forKey: .cpus)
        memoryMB = try container.decode(Int.self, forKey: .memoryMB)
        pids = try container.decode(Int.self, forKey: .pids)
        diskMB = try container.decodeIfPresent(Int.self, forKey: .diskMB) ?? Self.defaultDiskMB
        gpus = try container.decodeIfPresent(Int.self, forKey: .gpus) ?? 0
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
