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
    package var work: URL { directory.appendingPathComponent("work", isDirectory: true) }
    package var output: URL { directory.appendingPathComponent("output", isDirectory: true) }
    /// The sandbox's stdout and stderr; outside every mount, so the job cannot read or rewrite it.
    package var log: URL { file("log") }
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

    package var directories: JobDirectories { JobDirectories(work: work, output: output) }

    package func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    private func file(_ name: String) -> URL { directory.appendingPathComponent(name, isDirectory: false) }
}
