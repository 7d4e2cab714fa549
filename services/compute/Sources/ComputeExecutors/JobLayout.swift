import Foundation

/// The files of one job directory. The directory is the only shared state between the agent,
/// the detached supervisor and a later agent that re-attaches, so its names are the protocol.
struct JobLayout: Sendable {
    let directory: URL

    init(directory: URL) {
        self.directory = directory
    }

    init(root: URL, jobId: String) {
        self.directory = root.appendingPathComponent(jobId, isDirectory: true)
    }

    var jobId: String { directory.lastPathComponent }
    /// The executor root: the parent of every job directory.
    var root: URL { directory.deletingLastPathComponent() }

    var job: URL { file("job.json") }
    var work: URL { directory.appendingPathComponent("work", isDirectory: true) }
    var output: URL { directory.appendingPathComponent("output", isDirectory: true) }
    /// The sandbox's stdout and stderr; outside every mount, so the job cannot read or rewrite it.
    var log: URL { file("log") }
    var supervisorLog: URL { file("supervisor.log") }
    var supervisorPid: URL { file("supervisor.pid") }
    /// Written once the sandbox process exists; `launch` waits for it.
    var started: URL { file("started") }
    var status: URL { file("status.json") }
    var cancelMarker: URL { file("cancel") }
    /// Where the supervisor put the job's cgroups, so the agent finds them without recomputing
    /// (its own cgroup may differ after a restart).
    var cgroups: URL { file("cgroups.json") }

    var directories: JobDirectories { JobDirectories(work: work, output: output) }

    func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    private func file(_ name: String) -> URL { directory.appendingPathComponent(name, isDirectory: false) }
}
