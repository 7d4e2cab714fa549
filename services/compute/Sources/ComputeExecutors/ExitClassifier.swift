/// Turns how the sandbox process ended, plus what the supervisor saw, into an ExecutionResult's
/// reason. The order is the brief's: a deliberate end (cancel, timeout) explains any signal, an
/// OOM kill explains a SIGKILL, and a full disk explains a failure (a write got ENOSPC).
enum ExitClassifier {
    struct Outcome: Equatable {
        var reason: ExitReason
        var exitCode: Int32?
        var signal: Int32?
        var message: String?
    }

    static func classify(
        _ status: WaitStatus?, cancelled: Bool, timedOut: Bool, oomKills: Int, diskFull: Bool = false,
        timeoutSeconds: Int?
    ) -> Outcome {
        var exitCode = status?.exitCode
        var signal = status?.signal
        // bwrap's monitor reports a command killed by signal N as exit status 128+N (like a
        // shell), so a job that really exits with 137 is indistinguishable from SIGKILL.
        if let code = exitCode, code > 128, code <= 128 + 64 {
            signal = code - 128
            exitCode = nil
        }
        if cancelled {
            return Outcome(reason: .cancelled, exitCode: exitCode, signal: signal, message: "cancelled")
        }
        if timedOut {
            let limit = timeoutSeconds.map { "\($0) s" } ?? "its limit"
            return Outcome(reason: .timedOut, exitCode: exitCode, signal: signal, message: "ran longer than \(limit)")
        }
        if oomKills > 0 {
            return Outcome(
                reason: .oomKilled, exitCode: exitCode, signal: signal,
                message: "memory limit reached: the kernel OOM killer ran \(oomKills) time(s)")
        }
        if diskFull, signal != nil || (exitCode ?? 0) != 0 {
            return Outcome(reason: .diskLimit, exitCode: exitCode, signal: signal, message: ExitReason.diskFullMessage)
        }
        if let signal {
            return Outcome(reason: .signaled, signal: signal, message: "killed by signal \(signal)")
        }
        guard let exitCode else {
            return Outcome(reason: .supervisorLost, message: "the sandbox process vanished without an exit status")
        }
        return Outcome(reason: .exited, exitCode: exitCode)
    }
}
