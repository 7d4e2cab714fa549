import ComputeExecutors
import Foundation

/// The Slurm executor's files in a job directory, beside `JobLayout`'s: the protocol between
/// the agent, the batch script on the node and a later agent that re-attaches.
struct SlurmJobFiles {
    let layout: JobLayout

    /// The batch script as submitted.
    var script: URL { file("job.sbatch") }
    /// Slurm's id of the job, written once sbatch accepted it: how a restarted agent finds it.
    var slurmId: URL { file("slurm-job-id") }
    /// The sandbox's exit status, written by the script.
    var exit: URL { file("exit") }
    /// A job of several workers: the script each task runs (`SlurmWorkerScript`).
    var workerScript: URL { file("worker.sh") }
    /// A job of several workers: the batch script's own output, with srun's and Slurm's notes
    /// (`srun: error: node: task 1: Exited with exit code 3`); the log has the tasks' lines.
    var batchLog: URL { file("batch.log") }
    /// A job of several workers: `<rank>.exit` of each worker that ended on its own.
    var ranks: URL { layout.directory.appendingPathComponent("ranks", isDirectory: true) }
    /// The last usage sampled while the job ran: its final usage once Slurm forgot the steps.
    var lastUsage: URL { file("usage.json") }

    func readSlurmId() -> String? {
        JobFiles.readText(slurmId)?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
    }

    func modified(_ url: URL) -> Date? {
        try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate
    }

    private func file(_ name: String) -> URL { layout.directory.appendingPathComponent(name, isDirectory: false) }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
