import ComputeExecutors
import Foundation

/// The body of `POST /containers/create` for one job: the same contract as the local sandbox —
/// code at /job (cwd), outputs at /output and a private /tmp, all three on the job's own disk,
/// datasets read-only, a read-only system, no network, an unprivileged user, and every other
/// limit set in the container's cgroups by the daemon.
public struct ContainerConfig: Encodable, Sendable {
    let Image: String
    let Cmd: [String]
    let Env: [String]
    let WorkingDir: String
    let User: String
    let Labels: [String: String]
    let NetworkDisabled: Bool
    let HostConfig: Host

    struct Host: Encodable, Sendable {
        let Binds: [String]
        let Memory: Int64
        /// Equal to Memory: no swap, so going past the limit is an OOM kill, not a slow crawl.
        let MemorySwap: Int64
        let NanoCpus: Int64
        let PidsLimit: Int64
        let NetworkMode: String
        /// docker-init as PID 1: forwards SIGTERM (a shell as PID 1 ignores it) and reaps zombies.
        let Init: Bool
        let ReadonlyRootfs: Bool
        let CapDrop: [String]
        let SecurityOpt: [String]
        /// The daemon's default masks plus the host's kernel interfaces a job has no use for.
        let MaskedPaths: [String]
        let DeviceRequests: [DeviceRequest]?
        let AutoRemove: Bool
    }

    /// GPUs through the daemon's device requests (the NVIDIA runtime maps the ids in).
    struct DeviceRequest: Encodable, Sendable {
        let Driver: String
        let DeviceIDs: [String]
        let Capabilities: [[String]]
    }

    /// Labels that mark a container as a job's, so a restarted agent and `docker ps` find them.
    public static let jobLabel = "mlex.job"
    public static let rootLabel = "mlex.executor.root"

    static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/fs/cgroup", "/sys/kernel",
        "/sys/devices/virtual/powercap",
    ]

    init(job: SandboxJob, image: String, layout: JobLayout, uid: UInt32, gid: UInt32) {
        // Host GPU ids mean nothing inside: the devices are requested instead and renumbered.
        let gpus = job.environment["CUDA_VISIBLE_DEVICES"].map { $0.split(separator: ",").map(String.init) } ?? []
        var environment = job.environment
        environment.removeValue(forKey: "CUDA_VISIBLE_DEVICES")
        environment["MLEX_OUTPUT_DIR"] = "/output"
        environment["HOME"] = environment["HOME"] ?? "/tmp"
        Image = image
        Cmd = job.command
        Env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        WorkingDir = "/job"
        User = "\(uid):\(gid)"
        Labels = [Self.jobLabel: job.jobId, Self.rootLabel: layout.root.path]
        NetworkDisabled = true
        HostConfig = Host(
            Binds: ["\(layout.work.path):/job:rw", "\(layout.output.path):/output:rw", "\(layout.tmp.path):/tmp:rw"]
                + job.inputs.map { "\($0.hostPath):\($0.sandboxPath):ro" },
            Memory: Int64(job.limits.memoryMB) << 20, MemorySwap: Int64(job.limits.memoryMB) << 20,
            NanoCpus: Int64((job.limits.cpus * 1e9).rounded()), PidsLimit: Int64(job.limits.pids),
            NetworkMode: "none", Init: true, ReadonlyRootfs: true,
            CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges"], MaskedPaths: Self.maskedPaths,
            DeviceRequests: gpus.isEmpty
                ? nil : [DeviceRequest(Driver: "nvidia", DeviceIDs: gpus, Capabilities: [["gpu"]])],
            // The executor removes it after reading its exit state; auto-remove would race that.
            AutoRemove: false
        )
    }
}
