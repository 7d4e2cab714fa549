import ComputeExecutors
import Foundation

/// `worker.sh`: one worker of a job of several, started by srun once per task. It holds the
/// worker to its own memory, runs the sandbox with the worker's variables taken from Slurm's
/// task environment (and its GPUs, `SlurmSandboxLine.slurmGPUs`), and writes
/// `ranks/<rank>.exit` ("<status> <oom kills>") so the job's result can name the worker that failed.
public struct SlurmWorkerScript: Sendable {
    public var directory: URL
    /// The sandbox's argv, with each `--setenv` of a `variables` key given that shell value.
    public var sandbox: [String]
    public var memoryMB: Int
    /// GPUs per worker: when non-zero, the sandbox gets the task's CUDA_VISIBLE_DEVICES from Slurm.
    public var gpus: Int

    /// Each worker variable as the task's shell expands it: srun sets SLURM_PROCID and friends
    /// per task; the batch script exports the master's address and port to every task.
    public static let variables = [
        "RANK": "$SLURM_PROCID", "LOCAL_RANK": "$SLURM_LOCALID", "WORLD_SIZE": "$SLURM_NTASKS",
        "MASTER_ADDR": "$MLEX_MASTER_ADDR", "MASTER_PORT": "$MLEX_MASTER_PORT",
    ]

    public init(directory: URL, sandbox: [String], memoryMB: Int, gpus: Int = 0) {
        self.directory = directory
        self.sandbox = sandbox
        self.memoryMB = memoryMB
        self.gpus = gpus
    }

    public var text: String {
        [
            "#!/bin/bash",
            "dir=\(SlurmBatchScript.quote(directory.path))",
            "rank=$SLURM_PROCID",
            // task/cgroup limits memory per node: the step's cgroup holds the node's tasks ×
            // --mem-per-cpu, each task's cgroup nothing. Its own share keeps one worker from
            // taking its node-mates' memory. Best effort: v1 or v2 layouts Slurm makes; the
            // node's limit holds whatever happens here.
            "memcg=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)",
            "if [ -n \"$memcg\" ]; then",
            "  limit=/sys/fs/cgroup/memory$memcg/memory.limit_in_bytes events=/sys/fs/cgroup/memory$memcg/memory.oom_control",
            "else",
            "  memcg=$(sed -n 's/^0:://p' /proc/self/cgroup)",
            "  limit=/sys/fs/cgroup$memcg/memory.max events=/sys/fs/cgroup$memcg/memory.events",
            "fi",
            "{ echo \(memoryMB * 1_048_576) > \"$limit\"; } 2>/dev/null",
            renderedSandbox,
            "status=$?",
            // The kernel counts an OOM kill in the cgroup of the process it killed (v1), or in
            // it and its parents (v2): this task's count says whether this worker was killed.
            "kills=$(awk '$1 == \"oom_kill\" { print $2 }' \"$events\" 2>/dev/null)",
            "echo \"$status ${kills:-0}\" > \"$dir/ranks/$rank.exit\"",
            "exit \"$status\"",
        ].joined(separator: "\n") + "\n"
    }

    /// The argv with the worker variables (and Slurm's GPUs, if it asked for any) expanded.
    var renderedSandbox: String {
        SlurmSandboxLine.render(
            sandbox, expanding: gpus > 0 ? Self.variables.merging(SlurmSandboxLine.slurmGPUs) { $1 } : Self.variables)
    }
}
