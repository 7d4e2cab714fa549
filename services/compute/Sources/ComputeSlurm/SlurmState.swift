import ComputeExecutors

/// A Slurm job state (`JobState` of scontrol, `%T` of squeue) and what it means for a job of ours.
/// The table is in docs/compute.md ("Slurm states").
public struct SlurmState: Sendable, Equatable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) {
        // squeue may print `CANCELLED by 0`; the state is the first word.
        self.name = String(name.split(separator: " ").first ?? "").uppercased()
    }

    public var description: String { name }

    /// Our coarse phase of a Slurm state.
    public enum Phase: Sendable, Equatable {
        /// Waiting for resources, a node booting, a hold: not started.
        case queued
        /// Started and not ended: running, suspended, completing, being requeued.
        case running
        /// Ended for good; the result says how.
        case ended
    }

    public var phase: Phase {
        switch name {
        case "PENDING", "CONFIGURING", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SPECIAL_EXIT":
            return .queued
        case "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
            "BOOT_FAIL", "DEADLINE", "REVOKED":
            return .ended
        default:
            // RUNNING, COMPLETING (the script ended, Slurm still cleans up), SUSPENDED, STOPPED,
            // SIGNALING, STAGE_OUT, RESIZING, REQUEUED, and any state newer than this code.
            return .running
        }
    }

    /// How an ended job ended, as the local executor would say it. `exitCode`/`signal` are
    /// Slurm's `ExitCode=<code>:<signal>` of the batch script, which exits with the sandbox's
    /// status (bubblewrap reports a signal N as 128+N, like a shell). `timedOut`/`cancelled`: our
    /// own markers, written before the executor's watchdog or `scancel` ended the job, which
    /// explain a kill whatever state Slurm shows for it. Nil while the job has not ended.
    public func outcome(
        exitCode: Int32?, signal: Int32?, reason: String?, timedOut: Bool, cancelled: Bool, diskFull: Bool,
        timeoutSeconds: Int?
    ) -> (reason: ExitReason, exitCode: Int32?, signal: Int32?, message: String?)? {
        guard phase == .ended else { return nil }
        var code = exitCode
        var signal = signal.flatMap { $0 == 0 ? nil : $0 }
        if let value = code, value > 128, value <= 128 + 64, signal == nil {
            signal = value - 128
            code = nil
        }
        let why = reason.map { " (Slurm: \($0))" } ?? ""
        if cancelled { return (.cancelled, code, signal, "cancelled") }
        let limit = timeoutSeconds.map { "\($0) s" } ?? "its time limit"
        switch name {
        case "TIMEOUT", "DEADLINE":
            return (.timedOut, code, signal, "ran longer than \(limit)\(why)")
        case "OUT_OF_MEMORY":
            return (.oomKilled, code, signal, "memory limit reached: Slurm's cgroup killed the job\(why)")
        case "CANCELLED":
            return (.cancelled, code, signal, "cancelled in Slurm\(why)")
        case "BOOT_FAIL":
            return (.startFailed, nil, nil, "Slurm could not boot the job's node\(why)")
        case "NODE_FAIL":
            return (.supervisorLost, code, signal, "Slurm lost the job's node\(why)")
        case "PREEMPTED":
            return (.supervisorLost, code, signal, "preempted by a job of higher priority in Slurm\(why)")
        case "REVOKED":
            return (.supervisorLost, code, signal, "Slurm revoked the job (federation)\(why)")
        default:  // COMPLETED, FAILED
            if timedOut { return (.timedOut, code, signal, "ran longer than \(limit)") }
            if diskFull, signal != nil || (code ?? 0) != 0 {
                return (.diskLimit, code, signal, ExitReason.diskFullMessage)
            }
            if let signal { return (.signaled, nil, signal, "killed by signal \(signal)") }
            return (.exited, code ?? (name == "COMPLETED" ? 0 : 1), nil, nil)
        }
    }
}
