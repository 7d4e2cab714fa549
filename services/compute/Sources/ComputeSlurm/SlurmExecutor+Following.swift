import ComputeExecutors
import ComputeWire
import Foundation

/// Following a submitted job: its state from `scontrol show job -o`, turned into a result once
/// it ended and kept as `status.json`, so Slurm forgetting the job later changes nothing.
extension SlurmExecutor {
    public func result(of jobId: String) -> ExecutionResult? {
        guard let layout = try? JobRoot(root).layout(of: jobId) else {
            return lost("invalid job id '\(jobId)'", since: nil)
        }
        if let result = try? JobFiles.read(ExecutionResult.self, from: layout.status) { return result }
        guard layout.exists(layout.directory) else { return lost("no job \(jobId) under \(root.path)", since: nil) }
        let files = SlurmJobFiles(layout: layout)
        // Prepared but not launched yet: not finished.
        guard let launchedAt = files.modified(layout.job) else { return nil }
        guard let slurmId = files.readSlurmId() else {
            // launch is between writing job.json and Slurm's answer.
            if Date().timeIntervalSince(launchedAt) < 60 { return nil }
            return lost("the job was never accepted by Slurm", since: launchedAt)
        }
        let info: SlurmJobInfo
        do {
            let text = try commands.run("scontrol", ["show", "job", "--oneliner", slurmId])
            guard let parsed = SlurmJobInfo.parse(text) else { return nil }
            info = parsed
        } catch let error as SlurmCommands.Failure where error.output.contains("Invalid job id") {
            return record(forgotten(files, slurmId: slurmId, launchedAt: launchedAt), to: layout)
        } catch {
            return nil  // slurmctld unreachable for now: the job is not known to have ended
        }
        guard info.state.phase == .ended else { return nil }
        return record(
            finalResult(
                files, state: info.state, exitCode: info.exitCode, signal: info.exitSignal, reason: info.reason,
                launchedAt: launchedAt), to: layout)
    }

    /// Polls `result(of:)`; a cancelled wait ends early, the job does not.
    public func wait(for jobId: String) async -> ExecutionResult {
        let since = Date()
        while true {
            if let result = result(of: jobId) { return result }
            do {
                try await Task.sleep(for: Self.pollInterval)
            } catch {
                return ExecutionResult(
                    reason: .cancelled, message: "wait was cancelled; the job may still be running", startedAt: since,
                    endedAt: Date())
            }
        }
    }

    /// Marks the job cancelled, `scancel`s it (Slurm sends SIGTERM, then SIGKILL after its
    /// KillWait) and waits until Slurm says it ended.
    public func cancel(_ jobId: String) async throws {
        guard let (layout, launchedAt) = try JobRoot(root).markCancelled(jobId) else { return }
        let files = SlurmJobFiles(layout: layout)
        guard let slurmId = files.readSlurmId() else {
            try JobFiles.write(
                ExecutionResult(
                    reason: .cancelled, message: "cancelled before Slurm accepted it", startedAt: launchedAt,
                    endedAt: Date()), to: layout.status)
            return
        }
        let commands = commands
        do {
            _ = try await LocalExecutor.offThePool { try commands.run("scancel", [slurmId]) }
        } catch let error as SlurmCommands.Failure where error.output.contains("Invalid job id") {
            // Already forgotten: result(of:) records it from the exit file.
        }
        let deadline = ContinuousClock.now.advanced(by: Self.cancelTimeout)
        while ContinuousClock.now < deadline {
            if result(of: jobId) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ExecutorError(.stillRunning, "Slurm did not end job \(jobId) within \(Self.cancelTimeout) of scancel")
    }

    /// The job's usage from `sstat` (Slurm's accounting gather, sampled every few seconds);
    /// each sample is kept, so the last one is the job's final usage.
    public func usage(of jobId: String) -> ResourceUsage? {
        guard let layout = try? JobRoot(root).layout(of: jobId), !layout.exists(layout.status) else { return nil }
        let files = SlurmJobFiles(layout: layout)
        guard let slurmId = files.readSlurmId(),
            let text = try? commands.run(
                "sstat", ["--noheader", "--parsable2", "--allsteps", "--format=\(SlurmUsage.format)", "-j", slurmId]),
            let usage = SlurmUsage.parse(text)
        else { return nil }
        try? JobFiles.write(usage, to: files.lastUsage)
        return usage
    }

    /// Slurm forgot the job (MinJobAge passed while no agent looked): the script's exit file
    /// still tells how the sandbox ended, though not why Slurm may have killed it.
    private func forgotten(_ files: SlurmJobFiles, slurmId: String, launchedAt: Date) -> ExecutionResult {
        guard let status = files.exitStatus else {
            return lost("Slurm no longer knows job \(slurmId), and it left no exit status", since: launchedAt)
        }
        return finalResult(
            files, state: SlurmState("COMPLETED"), exitCode: status, signal: nil, reason: nil, launchedAt: launchedAt)
    }

    private func finalResult(
        _ files: SlurmJobFiles, state: SlurmState, exitCode: Int32?, signal: Int32?, reason: String?,
        launchedAt: Date
    ) -> ExecutionResult {
        let layout = files.layout
        let job = try? JobFiles.read(SandboxJob.self, from: layout.job)
        var outcome =
            state.outcome(
                exitCode: files.exitStatus ?? exitCode, signal: files.exitStatus == nil ? signal : nil, reason: reason,
                timedOut: layout.exists(layout.timeoutMarker), cancelled: layout.exists(layout.cancelMarker),
                diskFull: JobDisk(layout).isFull, timeoutSeconds: job?.timeoutSeconds)
            ?? (.supervisorLost, nil, nil, "Slurm state \(state) is not an end")
        if (job?.workers ?? 1) > 1 { outcome = workersOutcome(files, outcome) }
        var usage = try? JobFiles.read(ResourceUsage.self, from: files.lastUsage)
        if usage != nil { usage?.memoryBytes = 0 }
        return ExecutionResult(
            reason: outcome.reason, exitCode: outcome.exitCode, signal: outcome.signal, message: outcome.message,
            startedAt: files.modified(layout.started) ?? launchedAt,
            endedAt: files.modified(files.exit) ?? Date(), usage: usage)
    }

    /// A job of several workers that failed, ran out of memory or was killed ended by one of
    /// them: its result is that worker's, named (`SlurmWorkerFailure`). A cancel, a timeout or
    /// Slurm's own end stay the job's.
    private func workersOutcome(
        _ files: SlurmJobFiles, _ outcome: (reason: ExitReason, exitCode: Int32?, signal: Int32?, message: String?)
    ) -> (reason: ExitReason, exitCode: Int32?, signal: Int32?, message: String?) {
        guard [.exited, .signaled, .oomKilled].contains(outcome.reason) else { return outcome }
        let notes = JobFiles.readText(files.batchLog) ?? ""
        if let failure = SlurmWorkerFailure.find(exits: files.rankExits, srunNotes: notes) {
            return (failure.reason, failure.exitCode, failure.signal, failure.message)
        }
        guard outcome.reason == .exited, outcome.exitCode == 0 else {
            // srun itself failed (no step, no task started): its last words say why.
            let last = notes.split(whereSeparator: \.isNewline).last.map { String($0) }
            return (outcome.reason, outcome.exitCode, outcome.signal, outcome.message ?? last)
        }
        return outcome
    }

    /// Keeps the result as status.json: written once, the first answer stays the answer.
    private func record(_ result: ExecutionResult, to layout: JobLayout) -> ExecutionResult {
        if let earlier = try? JobFiles.read(ExecutionResult.self, from: layout.status) { return earlier }
        try? JobFiles.write(result, to: layout.status)
        return result
    }

    private func lost(_ message: String, since: Date?) -> ExecutionResult {
        ExecutionResult(reason: .supervisorLost, message: message, startedAt: since ?? Date(), endedAt: Date())
    }
}

extension SlurmJobFiles {
    /// What the script wrote to `exit`, nil if it did not get that far.
    var exitStatus: Int32? {
        JobFiles.readText(exit).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
