/// The sandbox's command line as the batch script or `worker.sh` runs it: every word quoted,
/// except the values of variables Slurm sets in the task's environment, which the shell expands
/// there (`--setenv RANK "$SLURM_PROCID"`).
enum SlurmSandboxLine {
    /// The GPUs Slurm gave the task: its gres/gpu plugin sets CUDA_VISIBLE_DEVICES in the task's
    /// environment, which bubblewrap's `--clearenv` would otherwise drop. It replaces the value
    /// the agent put in the job's environment (the scheduler's count of the partition's GPUs,
    /// not devices Slurm knows). Empty if Slurm named no device (a gres of counts only).
    static let slurmGPUs = ["CUDA_VISIBLE_DEVICES": "${CUDA_VISIBLE_DEVICES-}"]

    /// `sandbox` word by word. Only bwrap's own options (before the first `--`) are looked at,
    /// so a job's command that says `--setenv RANK` stays as it is.
    static func render(_ sandbox: [String], expanding variables: [String: String]) -> String {
        let end = sandbox.firstIndex(of: "--") ?? sandbox.endIndex
        var words: [String] = []
        var index = sandbox.startIndex
        while index < sandbox.endIndex {
            if index < end, sandbox[index] == "--setenv", index + 2 < end {
                let key = sandbox[index + 1]
                let value = variables[key].map { "\"\($0)\"" } ?? SlurmBatchScript.quote(sandbox[index + 2])
                words += [SlurmBatchScript.quote("--setenv"), SlurmBatchScript.quote(key), value]
                index += 3
            } else {
                words.append(SlurmBatchScript.quote(sandbox[index]))
                index += 1
            }
        }
        return words.joined(separator: " ")
    }
}
