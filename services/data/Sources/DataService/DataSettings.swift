import Foundation
import Platform

/// The data service's own settings (docs/configuration.md lists each).
struct DataSettings: Sendable {
    static let maxFileBytes = Setting(
        "mlex.data.maxFileBytes", default: "1099511627776",
        "Largest file one upload request (or one completed resumable upload) may store, in bytes (default 1 TiB).")
    static let sweepMinutes = Setting(
        "mlex.data.sweepMinutes", default: "60",
        "How often the sweeper frees blobs nothing references (left by a crash) and expired uploads, and empties the trash of what expired, in minutes."
    )
    static let uploadDays = Setting(
        "mlex.data.uploadDays", default: "7",
        "How long an unfinished resumable upload is kept, in days, before the sweeper frees its parts.")

    static let trashRetentionDays = Setting(
        "mlex.data.trashRetentionDays", default: "30",
        "How long a project, experiment, run, dataset or dataset version stays in the trash before the sweeper purges it, in days, for projects that set no `trashRetentionDays` of their own."
    )

    static let storageSampleDays = Setting(
        "mlex.data.storageSampleDays", default: "400",
        "How long the daily sample of each project's storage use (`/v1/projects/{id}/storage`) is kept, in days; the sweeper takes the samples and deletes older ones."
    )

    static let all = [maxFileBytes, sweepMinutes, uploadDays, trashRetentionDays, storageSampleDays]

    var maxFileBytes: Int64
    var sweepInterval: Duration
    var uploadLifetime: TimeInterval
    var trashRetention: TimeInterval
    var storageSampleRetention: TimeInterval

    init(_ settings: ServiceSettings) throws {
        let config = settings.config
        maxFileBytes = Int64(try config.int(Self.maxFileBytes, in: 1...Int.max))
        sweepInterval = .seconds(try config.int(Self.sweepMinutes, in: 1...10_080) * 60)
        uploadLifetime = TimeInterval(try config.int(Self.uploadDays, in: 1...365) * 86400)
        trashRetention = TimeInterval(try config.int(Self.trashRetentionDays, in: ProjectChange.retentionDays) * 86400)
        storageSampleRetention = TimeInterval(try config.int(Self.storageSampleDays, in: 1...3650) * 86400)
    }
}
