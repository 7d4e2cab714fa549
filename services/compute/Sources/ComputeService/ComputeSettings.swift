import Foundation
import Platform

/// The compute service's own settings (docs/configuration.md lists each).
struct ComputeSettings: Sendable {
    static let nodeTimeoutSeconds = Setting(
        "mlex.compute.nodeTimeoutSeconds", default: "30",
        "A node whose agent has not heartbeated for this long is lost: its jobs fail `node_lost`, or are queued again when their spec allows retries."
    )
    static let maxActiveJobsPerUser = Setting(
        "mlex.compute.maxActiveJobsPerUser", default: "0",
        "Quota: how many jobs of one user may be scheduled or running at once, a job counting once per worker (0: no limit); the rest wait queued."
    )
    static let maxActiveJobsPerProject = Setting(
        "mlex.compute.maxActiveJobsPerProject", default: "0",
        "Quota: how many jobs of one project may be scheduled or running at once, a job counting once per worker (0: no limit)."
    )

    static let defaultDiskMB = Setting(
        "mlex.compute.defaultDiskMb", default: "10240",
        "The disk (`resources.diskMB`: what /job, /output and /tmp may hold together) of a job when neither it nor its template names one, in MB."
    )

    static let templatesDir = Setting(
        "mlex.compute.templatesDir", default: "config/templates",
        "Directory of the seed templates (one JSON file each) inserted at start when no template has their name yet; a bad file stops the start."
    )

    static let usageWindowMinutes = Setting(
        "mlex.compute.usageWindowMinutes", default: "15",
        "How long the per-heartbeat usage samples of jobs and nodes (`/v1/jobs/{id}/usage`, `/v1/nodes/{id}/usage`) are kept, in minutes; older ones are deleted with each heartbeat and by the hourly retention pass."
    )
    static let accountingRetentionDays = Setting(
        "mlex.compute.accountingRetentionDays", default: "400",
        "How long the accounting record of an ended job (CPU-, memory-byte-, GPU- and wall seconds, behind `/v1/usage` and the monthly CPU-/GPU-hour quotas) is kept, in days; the hourly retention pass deletes older ones."
    )

    static let all = [
        nodeTimeoutSeconds, maxActiveJobsPerUser, maxActiveJobsPerProject, defaultDiskMB, templatesDir,
        usageWindowMinutes, accountingRetentionDays,
    ]

    var nodeTimeout: TimeInterval
    var maxActiveJobsPerUser: Int
    var maxActiveJobsPerProject: Int
    var defaultDiskMB: Int
    var templatesDirectory: URL
    var usageWindow: TimeInterval
    var accountingRetention: TimeInterval

    var quota: Quota { Quota(perUser: maxActiveJobsPerUser, perProject: maxActiveJobsPerProject) }

    init(_ settings: ServiceSettings) throws {
        let config = settings.config
        nodeTimeout = TimeInterval(try config.int(Self.nodeTimeoutSeconds, in: 1...86400))
        maxActiveJobsPerUser = try config.int(Self.maxActiveJobsPerUser, in: 0...1_000_000)
        maxActiveJobsPerProject = try config.int(Self.maxActiveJobsPerProject, in: 0...1_000_000)
        defaultDiskMB = try config.int(Self.defaultDiskMB, in: ResourceRequest.diskBounds)
        templatesDirectory = URL(fileURLWithPath: config.string(Self.templatesDir))
        usageWindow = TimeInterval(try config.int(Self.usageWindowMinutes, in: 1...10_080) * 60)
        accountingRetention = TimeInterval(try config.int(Self.accountingRetentionDays, in: 1...3650) * 86400)
    }
}
