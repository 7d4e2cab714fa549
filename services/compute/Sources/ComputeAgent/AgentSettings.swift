import Foundation
import Glibc
import Platform

/// The agent's own settings (docs/configuration.md lists each). It reads compute's config
/// files and credential: an agent acts as the compute service on its node.
public struct AgentSettings: Sendable {
    static let port = Setting(
        "mlex.agent.port", default: "8090", "The agent's own HTTP port (health, readiness, metrics).")
    static let name = Setting("mlex.agent.name", default: "", "The node's name; empty: the host name.")
    static let queues = Setting(
        "mlex.agent.queues", default: "default", "Comma-separated queues this node takes jobs from.")
    static let cpus = Setting("mlex.agent.cpus", default: "0", "CPUs offered to jobs; 0: every CPU of the host.")
    static let memoryMB = Setting(
        "mlex.agent.memoryMb", default: "0",
        "Memory offered to jobs in MB; 0: the host's memory less `mlex.agent.reservedMb`.")
    static let reservedMB = Setting(
        "mlex.agent.reservedMb", default: "1024", "Memory kept for the system and the platform when memoryMB is 0.")
    static let diskMB = Setting(
        "mlex.agent.diskMb", default: "0",
        "The largest disk (`resources.diskMB`) a job may have on this node, in MB; 0: the size of the filesystem holding the agent's state directory. Each job's disk is a sparse image there, taking only what the job writes, so disks are not reserved."
    )
    static let gpus = Setting(
        "mlex.agent.gpus", default: "",
        "Comma-separated GPU ids offered (each given to one job at a time, as CUDA_VISIBLE_DEVICES); empty on a slurm agent: the partition's gpu gres count."
    )
    static let pidsLimit = Setting(
        "mlex.agent.pidsLimit", default: "1024", "Most processes and threads a job may have at once (cgroup pids.max).")
    static let jobUID = Setting("mlex.agent.jobUid", default: "65534", "The unprivileged uid jobs run as (never root).")
    static let jobGID = Setting("mlex.agent.jobGid", default: "65534", "The gid jobs run as.")
    static let executor = Setting(
        "mlex.agent.executor", default: "local",
        "How this node runs jobs: `local` (bubblewrap sandboxes in cgroups on the host's own system), `docker` (containers through the Docker Engine API; jobs name an image) or `slurm` (Slurm batch jobs running the same sandbox; the node offers a partition's capacity)."
    )
    static let dockerSocket = Setting(
        "mlex.agent.dockerSocket", default: "/var/run/docker.sock",
        "The Docker daemon's unix socket, for the docker executor.")
    static let slurmPartition = Setting(
        "mlex.agent.slurm.partition", default: "",
        "The Slurm partition the slurm executor submits to and whose capacity the node offers; empty: the cluster's default partition. One agent fronts one partition: give each its own agent and queue."
    )
    static let slurmConf = Setting(
        "mlex.agent.slurm.conf", default: "",
        "slurm.conf for Slurm's commands (their SLURM_CONF); empty: Slurm's own default.")
    static let slurmBin = Setting(
        "mlex.agent.slurm.bin", default: "", "Directory of sbatch, scontrol, scancel, sinfo and sstat; empty: PATH.")
    static let heartbeatSeconds = Setting(
        "mlex.agent.heartbeatSeconds", default: "5", "How often the agent heartbeats usage to compute.")

    static let orphanWorkDirMinutes = Setting(
        "mlex.agent.orphanWorkDirMinutes", default: "60",
        "A job work dir (and disk) the agent does not hold — left by a killed agent after compute moved the job on — is stopped and removed at the agent's start, and by a sweep every quarter of this time once it is this many minutes old."
    )

    static let endpointURL = Setting(
        "mlex.agent.endpointUrl", default: "",
        "Where compute reaches this agent to forward requests to its jobs' endpoints (http://host:port); empty: http://127.0.0.1 and mlex.agent.port, for an agent beside compute."
    )

    public static let all = [
        port, endpointURL, name, queues, cpus, memoryMB, reservedMB, diskMB, gpus, pidsLimit, jobUID, jobGID, executor,
        dockerSocket,
        slurmPartition, slurmConf, slurmBin, heartbeatSeconds, orphanWorkDirMinutes,
    ]

    var port: Int
    /// Where compute reaches this agent (the registration's `endpointURL`).
    var endpointURL: String
    var name: String
    var queues: [String]
    var cpus: Double
    var memoryMB: Int
    var diskMB: Int
    var gpus: [String]
    var pidsLimit: Int
    var uid: UInt32
    var gid: UInt32
    var heartbeat: Duration
    /// How old a work dir the agent does not hold must be before the sweep removes it.
    var orphanWorkDirAge: TimeInterval
    var executor: ExecutorKind
    var dockerSocket: String
    var slurmPartition: String
    var slurmConf: String
    var slurmBin: String

    enum ExecutorKind: String {
        case local, docker, slurm
    }
    var stateDirectory: URL

    public init(_ settings: ServiceSettings) throws {
        let config = settings.config
        port = try config.int(Self.port, in: 0...65535)
        let givenEndpointURL = config.string(Self.endpointURL)
        endpointURL = givenEndpointURL.isEmpty ? "http://127.0.0.1:\(port)" : givenEndpointURL
        let givenName = config.string(Self.name)
        name = givenName.isEmpty ? ProcessInfo.processInfo.hostName : givenName
        queues = config.string(Self.queues).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter
        { !$0.isEmpty }
        let givenCPUs = Double(config.string(Self.cpus)) ?? -1
        guard givenCPUs >= 0 else {
            throw ConfigurationError(
                setting: Self.cpus, value: config.string(Self.cpus), expected: "a number of CPUs, 0 for all")
        }
        cpus = givenCPUs == 0 ? Double(ProcessInfo.processInfo.activeProcessorCount) : givenCPUs
        let reserved = try config.int(Self.reservedMB, in: 0...Int.max)
        let givenMemory = try config.int(Self.memoryMB, in: 0...Int.max)
        memoryMB =
            givenMemory == 0 ? max(256, Int(ProcessInfo.processInfo.physicalMemory >> 20) - reserved) : givenMemory
        stateDirectory = settings.stateDirectory.appendingPathComponent("compute-agent", isDirectory: true)
        let givenDisk = try config.int(Self.diskMB, in: 0...Int.max)
        diskMB = givenDisk == 0 ? Self.filesystemMB(at: settings.stateDirectory) : givenDisk
        gpus = config.string(Self.gpus).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        pidsLimit = try config.int(Self.pidsLimit, in: 8...1_000_000)
        uid = UInt32(try config.int(Self.jobUID, in: 1...Int(Int32.max)))
        gid = UInt32(try config.int(Self.jobGID, in: 1...Int(Int32.max)))
        guard let kind = ExecutorKind(rawValue: config.string(Self.executor)) else {
            throw ConfigurationError(
                setting: Self.executor, value: config.string(Self.executor), expected: "local, docker or slurm")
        }
        executor = kind
        dockerSocket = config.string(Self.dockerSocket)
        slurmPartition = config.string(Self.slurmPartition)
        slurmConf = config.string(Self.slurmConf)
        slurmBin = config.string(Self.slurmBin)
        heartbeat = .seconds(try config.int(Self.heartbeatSeconds, in: 1...300))
        orphanWorkDirAge = TimeInterval(try config.int(Self.orphanWorkDirMinutes, in: 1...525_600) * 60)
    }

    /// The size of the filesystem holding `directory` (or the nearest ancestor that exists
    /// yet), in MB: what a job's disk could ever be there, however full it is now.
    static func filesystemMB(at directory: URL) -> Int {
        var path = directory.path
        var info = statvfs()
        while statvfs(path, &info) != 0, path != "/" {
            path = (path as NSString).deletingLastPathComponent
        }
        return Int((UInt64(info.f_blocks) * UInt64(info.f_frsize)) >> 20)
    }
}
