import Foundation
import Glibc

/// Seeing a started job through: its workers' ends, cancel and timeout, then measuring,
/// cleaning up and saying why it ended.
extension SupervisedJob {
    /// How long the workers' output may still take to drain once every worker is dead.
    static let outputDrainTimeout: Duration = .seconds(2)

    /// Waits for every worker to end, enforcing cancel and timeout and ending all workers as soon
    /// as one fails, then measures, cleans up and says why the job ended.
    func superviseToEnd() -> ExecutionResult {
        let deadline = job.timeoutSeconds.map { ContinuousClock.now.advanced(by: .seconds($0)) }
        var cancelled = false
        var timedOut = false
        var ends = WorkerEnds(workers: workers.count)
        let exitWatch = ChildExitWatch(workers.map(\.pid))
        while true {
            ends.record(endedWorkers(ends))
            output?.pump()
            if ends.allEnded { break }
            if !cancelled, !timedOut, layout.exists(layout.cancelMarker) { cancelled = true }
            if !cancelled, !timedOut, let deadline, ContinuousClock.now >= deadline { timedOut = true }
            // Repeated each round: kill only returns once the cgroup is empty, but a failed
            // attempt must not leave the job running. One failed worker ends all of them.
            if cancelled || timedOut || ends.failed {
                do { try cgroups.kill() } catch { Supervisor.report("kill: \(error)") }
            }
            exitWatch.pause(
                milliseconds: Self.pollMilliseconds,
                ignoring: Set(workers.filter { ends.hasEnded($0.rank) }.map(\.pid)),
                orUntilReadable: output?.openDescriptors ?? [])
        }
        let endedAt = Date()
        // The agent writes the marker before it kills, so a cancel that raced the exit still counts.
        cancelled = cancelled || (!timedOut && layout.exists(layout.cancelMarker))

        var usage = cgroups.usage()
        if let peak = cgroups.peakPids { usage?.pids = peak }
        if let rank = ends.decidingRank { ends.noteOOMKills(workers[rank].cgroups.oomKillCount, of: rank) }
        // Read before anyone unmounts it: the agent does so only after this status exists.
        let diskFull = JobDisk(layout).isFull
        var problems: [String] = []
        do {
            // Anything that escaped bwrap's pid namespace teardown (nothing should).
            try cgroups.kill()
            _ = Subreaper.reapEnded()
            output?.finish(within: Self.outputDrainTimeout)
            try cgroups.remove()
        } catch {
            problems.append("cleanup: \(error)")
        }
        let outcome = ends.outcome(
            cancelled: cancelled, timedOut: timedOut, diskFull: diskFull, timeoutSeconds: job.timeoutSeconds,
            namingTheRank: workers.count > 1)
        let message = ([outcome.message].compactMap { $0 } + problems).joined(separator: "; ")
        return ExecutionResult(
            reason: outcome.reason,
            exitCode: outcome.exitCode,
            signal: outcome.signal,
            message: message.isEmpty ? nil : message,
            startedAt: startedAt,
            endedAt: endedAt,
            usage: usage
        )
    }

    /// Workers that ended since `ends` was last updated: reaped now, or gone without a status
    /// (reaped elsewhere; nothing should).
    private func endedWorkers(_ ends: WorkerEnds) -> [(rank: Int, end: WorkerEnds.End)] {
        var ended: [(rank: Int, end: WorkerEnds.End)] = []
        for (pid, status) in Subreaper.reapEnded() {
            guard let worker = workers.first(where: { $0.pid == pid }), !ends.hasEnded(worker.rank) else { continue }
            ended.append((worker.rank, .init(status: status, oomKills: worker.cgroups.oomKillCount)))
        }
        for worker in workers where !ends.hasEnded(worker.rank) && !ended.contains(where: { $0.rank == worker.rank }) {
            if kill(worker.pid, 0) != 0 && errno == ESRCH {
                ended.append((worker.rank, .init(status: nil, oomKills: worker.cgroups.oomKillCount)))
            }
        }
        return ended
    }
}
