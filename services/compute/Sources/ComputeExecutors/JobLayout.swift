import Foundation

/// The files of one job directory. The directory is the only shared state between the agent,
/// the detached supervisor and a later agent that re-attaches, so its names are the protocol.
package struct JobLayout: Sendable {
    package let directory: URL

    package init(directory: URL) {
        self.directory = directory
    }

    package init(root: URL, jobId: String) {
        self.directory = root.appendingPathComponent(jobId, isDirectory: true)
    }

    package var jobId: String { directory.lastPathComponent }
    /// The executor root: the parent of every job directory.
    package var root: URL { directory.deletingLastPathComponent() }

    package var job: URL { file("job.json") }
    /// The job's own filesystem (`JobDisk`): a sparse ext4 image, mounted at `disk`.
    package var diskImage: URL { file("disk.img") }
    package var disk: URL { directory.appendingPathComponent("disk", isDirectory: true) }
    /// /job, /output and /tmp of the sandbox, all on the job's disk.
    package var work: URL { space.appendingPathComponent("work", isDirectory: true) }
    package var output: URL { space.appendingPathComponent("output", isDirectory: true) }
    package var tmp: URL { space.appendingPathComponent("tmp", isDirectory: true) }
    /// The sandbox's stdout and stderr; outside every mount, so the job cannot read or rewrite it.
    /// For several workers, their lines labelled with their ranks (`RankLabeler`).
    package var log: URL { file("log") }
    /// Each worker's own raw output, for a job with several workers (whose `log` has their
    /// lines labelled with their ranks).
    package var workerLogs: URL { directory.appendingPathComponent("ranks", isDirectory: true) }
    package func workerLog(_ rank: Int) -> URL {
        workerLogs.appendingPathComponent("\(rank).log", isDirectory: false)
    }
    package var supervisorLog: URL { file("supervisor.log") }
    package var supervisorPid: URL { file("supervisor.pid") }
    /// Written once the sandbox process exists; `launch` waits for it.
    package var started: URL { file("started") }
    package var status: URL { file("status.json") }
    package var cancelMarker: URL { file("cancel") }
    /// Written by an executor that kills a job at its timeout itself (docker), before the kill.
    package var timeoutMarker: URL { file("timeout") }
    /// Where the supervisor put the job's cgroups, so the agent finds them without recomputing
    /// (its own cgroup may differ after a restart).
    package var cgroups: URL { file("cgroups.json") }

    package var directories: JobDirectories { JobDirectories(work: work, output: output, tmp: tmp) }

    /// Where work/ and output/ are: on the disk; in the directory itself for a job prepared
    /// before jobs had disks (an agent upgraded while it ran), whose outputs must still be found.
    private var space: URL {
        exists(disk) || !exists(directory.appendingPathComponent("work", isDirectory: true)) ? disk : directory
    }

    package func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    private func file(_ name: String) -> URL { directory.appendingPathComponent(name, isDirectory: false) }
}
