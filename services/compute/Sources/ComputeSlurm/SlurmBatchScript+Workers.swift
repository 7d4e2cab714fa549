import ComputeExecutors
import Foundation

/// The parts of the batch script that differ for a job of several workers: one allocation of
/// `workers` tasks, and `srun` starting `worker.sh` once per task.
extension SlurmBatchScript {
    /// No `--nodes`: Slurm may spread the tasks over the partition's nodes.
    var workerAllocation: [String] {
        ["#SBATCH --ntasks=\(workers)"]
    }

    /// Memory per CPU, so that each node's share grows with the tasks Slurm puts there: `--mem`
    /// would be per node whatever the tasks on it. Rounded up, so a worker gets at least its own.
    public var memoryPerCPU: Int {
        (limits.memoryMB + cpusPerTask - 1) / cpusPerTask
    }

    /// Where rank 0 listens: the allocation's first node, by its address (`NodeAddr`, which
    /// is the node's name unless slurm.conf says otherwise: a name need not resolve), and a
    /// port from the job id, so two jobs on one node do not collide.
    var masterVariables: [String] {
        let scontrol = Self.quote(tool("scontrol"))
        return [
            "first=$(\(scontrol) show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)",
            "address=$(\(scontrol) show node --oneliner \"$first\" 2>/dev/null"
                + " | grep -o 'NodeAddr=[^ ]*' | cut -d= -f2)",
            "export MLEX_MASTER_ADDR=\"${address:-$first}\"",
            "export MLEX_MASTER_PORT=$((\(WorkerEnvironment.defaultMasterPort) + SLURM_JOB_ID % 1000))",
        ]
    }

    /// One step of all the tasks. `--label` prefixes each line with its task's rank (`0: `,
    /// padded to the widest rank: ` 0: ` of 10 or more), on stdout and stderr alike; slurmstepd
    /// writes the tasks' lines to the log itself, so srun's own notes ("task 1: Exited with
    /// exit code 3") stay in batch.log. `--kill-on-bad-exit` ends every task once one fails.
    /// srun reads no `--cpus-per-task` from sbatch's environment (Slurm 22.05+), so it is given,
    /// and so are the GPUs, for the same reason. Slurm binds each task to its own GPUs
    /// (`--gpu-bind=per_task`, implied) and sets CUDA_VISIBLE_DEVICES to them: a worker sees only
    /// its own. (`--gpu-bind=none` would show none: Slurm 22.05 then sets no CUDA_VISIBLE_DEVICES.)
    var srunCommand: String {
        let log = directory.appendingPathComponent("log").path
        var arguments = [
            tool("srun"), "--label", "--kill-on-bad-exit=1", "--ntasks=\(workers)", "--cpus-per-task=\(cpusPerTask)",
        ]
        if limits.gpus > 0 { arguments.append("--gpus-per-task=\(limits.gpus)") }
        return Self.command(
            arguments + [
                "--open-mode=append", "--output=\(log)", "--error=\(log)",
                "/bin/bash", directory.appendingPathComponent("worker.sh").path,
            ])
    }

    private func tool(_ name: String) -> String {
        binDirectory.isEmpty ? name : URL(fileURLWithPath: binDirectory).appendingPathComponent(name).path
    }
}
