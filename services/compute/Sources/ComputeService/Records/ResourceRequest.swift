import ComputeWire
import Platform

/// Resources as a job, a template's defaults or a rerun's overrides ask for them: any may be
/// left out, to be filled from defaults (`resolved(over:)`).
struct ResourceRequest: Codable, Sendable, Equatable {
    var cpus: Double?
    var memoryMB: Int?
    var gpus: Int?
    /// What /job, /output and /tmp may hold together; default: the template's, else
    /// `mlex.compute.defaultDiskMb`.
    var diskMB: Int?

    /// The platform's defaults for what neither a job nor its template says. No disk: its
    /// default is a setting, applied when a job is resolved.
    static let platformDefaults = Resources(cpus: 1, memoryMB: 1024, gpus: 0)

    /// What this asks for, `defaults` for what it leaves out.
    func resolved(over defaults: Resources) -> Resources {
        Resources(
            cpus: cpus ?? defaults.cpus, memoryMB: memoryMB ?? defaults.memoryMB, gpus: gpus ?? defaults.gpus,
            diskMB: diskMB ?? defaults.diskMB)
    }

    /// These amounts, `base`'s where this names none (a rerun's overrides on the old spec's).
    func merged(over base: ResourceRequest?) -> ResourceRequest {
        ResourceRequest(
            cpus: cpus ?? base?.cpus, memoryMB: memoryMB ?? base?.memoryMB, gpus: gpus ?? base?.gpus,
            diskMB: diskMB ?? base?.diskMB)
    }

    /// A CFS quota below a hundredth of a CPU (1 ms per 100 ms period) does not limit a job so
    /// much as starve it, and lets a node be claimed by thousands of jobs.
    static let cpuBounds = 0.01...1024.0
    static let cpuRule = "cpus is 0.01 to 1024 (fractions allowed)"
    static let memoryBounds = 16...(16 << 20)
    static let memoryRule = "memoryMB is 16 to 16777216"
    static let gpuBounds = 0...64
    static let gpuRule = "gpus is 0 to 64"
    /// Below 16 MB ext4 has little room left for the job. (A host filesystem that cannot hold
    /// an image as large as asked, e.g. ext4 past 16 TB - 4 KB, fails the job's start saying so.)
    static let diskBounds = 16...(16 << 20)
    static let diskRule = "diskMB is 16 to 16777216"
}

extension Resources {
    /// What `workers` workers of these resources hold together on one node: CPUs, memory and
    /// GPUs once per worker, the one disk they share once.
    func forWorkers(_ workers: Int) -> Resources {
        Resources(
            cpus: cpus * Double(workers), memoryMB: memoryMB * workers, gpus: gpus * workers, diskMB: diskMB)
    }

    /// The bounds of any resource amount (a job's, a template's defaults): 400 naming `<field>.cpus` ….
    func validate(field: String) throws {
        try FieldRules.check(ResourceRequest.cpuBounds.contains(cpus), "\(field).cpus", ResourceRequest.cpuRule)
        try FieldRules.check(
            ResourceRequest.memoryBounds.contains(memoryMB), "\(field).memoryMB", ResourceRequest.memoryRule)
        try FieldRules.check(ResourceRequest.gpuBounds.contains(gpus), "\(field).gpus", ResourceRequest.gpuRule)
        if let diskMB {
            try FieldRules.check(
                ResourceRequest.diskBounds.contains(diskMB), "\(field).diskMB", ResourceRequest.diskRule)
        }
    }
}
