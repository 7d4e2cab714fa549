import ComputeExecutors
import Foundation

/// The batch script of one job: Slurm allocates the job's CPUs, memory and time and confines the
/// script in its cgroup (task/cgroup); the script runs the same bubblewrap sandbox the local
/// executor runs, so a job sees /job, /output, /tmp, its read-only datasets and no network, as
/// an unprivileged uid, whichever executor runs it. GPUs are Slurm's gres (`gpuDirective`); the
/// sandbox gets the CUDA_VISIBLE_DEVICES Slurm set for the task (`SlurmSandboxLine`).
///
/// Beside the sandbox it writes three files into the job directory: `started` when the sandbox
/// starts, `exit` with its status when it ends, and `timeout` when coreutils' `timeout` killed it
/// at `timeoutSeconds` (Slurm's own limit counts whole minutes, so it is only the backstop).
///
/// A job of several workers is one allocation of `workers` tasks; the script runs
/// `srun --label` over them (`SlurmBatchScript+Workers`), each task the sandbox of one worker
/// (`SlurmWorkerScript`).
public struct SlurmBatchScript: Sendable {
    public var jobId: String
    public var directory: URL
    /// The one worker's sandbox; unused for several workers, whose sandbox is in `worker.sh`.
    public var sandbox: [String]
    /// Per worker.
    public var limits: ResourceLimits
    public var timeoutSeconds: Int?
    /// Empty: the cluster's default partition.
    public var partition: String
    public var workers: Int
    /// Where `srun` and `scontrol` are on the node; empty: its PATH.
    public var binDirectory: String

    public init(
        jobId: String, directory: URL, sandbox: [String], limits: ResourceLimits, timeoutSeconds: Int?,
        partition: String, workers: Int = 1, binDirectory: String = ""
    ) {
        self.jobId = jobId
        self.directory = directory
        self.sandbox = sandbox
        self.limits = limits
        self.timeoutSeconds = timeoutSeconds
        self.partition = partition
        self.workers = workers
        self.binDirectory = binDirectory
    }

    /// Slurm allocates whole CPUs: a job asking 0.5 gets one.
    public var cpusPerTask: Int { max(1, Int(limits.cpus.rounded(.up))) }

    /// The job's GPUs as Slurm's gres, so Slurm places the job where they are free and gives it
    /// devices (CUDA_VISIBLE_DEVICES in the task's environment). One worker: `--gres=gpu:<g>`
    /// for its one node. Several: `--gpus-per-task`, since `--gres` counts per node whatever
    /// the number of tasks Slurm puts there. nil without GPUs.
    public var gpuDirective: String? {
        guard limits.gpus > 0 else { return nil }
        return workers > 1 ? "#SBATCH --gpus-per-task=\(limits.gpus)" : "#SBATCH --gres=gpu:\(limits.gpus)"
    }

    /// Slurm's limit in whole minutes, one more than the job's own so `timeout`, which keeps
    /// the second, ends it first and says why.
    public var timeLimitMinutes: Int? {
        timeoutSeconds.map { ($0 + 59) / 60 + 1 }
    }

    public var text: String {
        let dir = directory.path
        var lines = [
            "#!/bin/bash",
            "#SBATCH --job-name=mlex-\(jobId)",
            // Several workers: the log is srun's, every line labelled with its rank; Slurm's
            // and srun's own notes go beside it, so every line of the log has a rank.
            "#SBATCH --output=\(dir)/\(workers > 1 ? "batch.log" : "log")",
            "#SBATCH --open-mode=append",
            "#SBATCH --chdir=\(dir)",
        ]
        lines += workers > 1 ? workerAllocation : ["#SBATCH --nodes=1", "#SBATCH --ntasks=1"]
        lines.append("#SBATCH --cpus-per-task=\(cpusPerTask)")
        lines.append(
            workers > 1 ? "#SBATCH --mem-per-cpu=\(memoryPerCPU)M" : "#SBATCH --mem=\(limits.memoryMB)M")
        if let gpus = gpuDirective { lines.append(gpus) }
        // A requeued job would start again from the same directory, with half its log.
        lines.append("#SBATCH --no-requeue")
        if !partition.isEmpty { lines.append("#SBATCH --partition=\(partition)") }
        if let minutes = timeLimitMinutes { lines.append("#SBATCH --time=\(minutes)") }
        lines.append("dir=\(Self.quote(dir))")
        if workers > 1 { lines += masterVariables }
        lines.append(": > \"$dir/started\"")
        let command =
            workers > 1
            ? srunCommand
            : SlurmSandboxLine.render(sandbox, expanding: limits.gpus > 0 ? SlurmSandboxLine.slurmGPUs : [:])
        if let seconds = timeoutSeconds {
            // coreutils' timeout kills the sandbox (bubblewrap takes the job with it) at the
            // second; a SIGKILL at or past the limit is the timeout, and the marker says so
            // before the script ends, so before Slurm calls the job ended.
            lines += [
                "began=$SECONDS",
                "timeout --signal=KILL \(seconds) " + command,
                "status=$?",
                "if [ \"$status\" -eq 137 ] && [ $((SECONDS - began)) -ge \(seconds) ]; then : > \"$dir/timeout\"; fi",
            ]
        } else {
            lines += [command, "status=$?"]
        }
        lines += [
            "echo \"$status\" > \"$dir/exit\"",
            "exit \"$status\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    static func command(_ argv: [String]) -> String {
        argv.map(quote).joined(separator: " ")
    }

    /// Single quotes keep every byte literal; a single quote itself is closed, escaped and reopened.
    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
