import ComputeExecutors
import Foundation

/// The worker that ended a job of several: the first to fail, whom `--kill-on-bad-exit` answered
/// by killing the rest. From the workers' own `ranks/<rank>.exit` files ("<status> <oom kills>"),
/// where the earliest non-zero one is the cause (the others were killed after it, and a
/// killed worker's wrapper mostly dies before writing); else from srun's first
/// "task <r>: <what>" note in batch.log.
///
/// srun's note alone is not enough: Slurm sees OOM kills per node, and names the node's first
/// task ("task 0: Out Of Memory") whichever task's process the kernel killed.
public struct SlurmWorkerFailure: Sendable, Equatable {
    public var rank: Int
    public var reason: ExitReason
    public var exitCode: Int32?
    public var signal: Int32?
    /// Begins with "rank <r>: ".
    public var message: String

    /// One worker's `<rank>.exit` file.
    public struct RankExit: Sendable, Equatable {
        public var rank: Int
        public var status: Int32
        public var oomKills: Int
        public var written: Date

        public init(rank: Int, status: Int32, oomKills: Int, written: Date) {
            self.rank = rank
            self.status = status
            self.oomKills = oomKills
            self.written = written
        }

        /// "<status> <oom kills>".
        public static func parse(rank: Int, text: String, written: Date) -> RankExit? {
            let words = text.split(whereSeparator: \.isWhitespace)
            guard let status = words.first.flatMap({ Int32($0) }) else { return nil }
            return RankExit(
                rank: rank, status: status, oomKills: words.dropFirst().first.flatMap { Int($0) } ?? 0, written: written
            )
        }
    }

    /// The failure that ended the job, nil when every worker that wrote an exit succeeded and
    /// srun noted none.
    public static func find(exits: [RankExit], srunNotes: String) -> SlurmWorkerFailure? {
        let failed = exits.filter { $0.status != 0 || $0.oomKills > 0 }
            .min { ($0.written, $0.rank) < ($1.written, $1.rank) }
        if let failed { return from(failed) }
        return fromSrun(srunNotes)
    }

    static func from(_ exit: RankExit) -> SlurmWorkerFailure {
        let rank = exit.rank
        if exit.oomKills > 0 {
            return SlurmWorkerFailure(
                rank: rank, reason: .oomKilled, exitCode: nil, signal: nil,
                message: "rank \(rank): memory limit reached: the worker was OOM-killed")
        }
        // bubblewrap reports a command killed by signal N as 128+N, like a shell.
        if exit.status > 128, exit.status <= 128 + 64 {
            let signal = exit.status - 128
            return SlurmWorkerFailure(
                rank: rank, reason: .signaled, exitCode: nil, signal: signal,
                message: "rank \(rank): killed by signal \(signal)")
        }
        return SlurmWorkerFailure(
            rank: rank, reason: .exited, exitCode: exit.status, signal: nil,
            message: "rank \(rank): exited with code \(exit.status)")
    }

    /// srun's first `srun: error: <node>: task 1: Exited with exit code 3` (or `tasks 0-1: …`,
    /// `task 0: Out Of Memory`, `task 2: Killed`).
    static func fromSrun(_ notes: String) -> SlurmWorkerFailure? {
        for line in notes.split(whereSeparator: \.isNewline) where line.hasPrefix("srun: error: ") {
            guard let range = line.range(of: #"tasks? [0-9]+[^:]*: "#, options: .regularExpression) else { continue }
            let label = line[range].drop { !$0.isNumber }
            guard let rank = Int(label.prefix { $0.isNumber }) else { continue }
            let what = String(line[range.upperBound...])
            if what.hasPrefix("Exited with exit code "), let code = Int32(what.dropFirst(22)) {
                return SlurmWorkerFailure(
                    rank: rank, reason: .exited, exitCode: code, signal: nil,
                    message: "rank \(rank): exited with code \(code)")
            }
            if what.hasPrefix("Out Of Memory") {
                return SlurmWorkerFailure(
                    rank: rank, reason: .oomKilled, exitCode: nil, signal: nil,
                    message: "rank \(rank): memory limit reached: Slurm's cgroup killed the worker")
            }
            return SlurmWorkerFailure(
                rank: rank, reason: .signaled, exitCode: nil, signal: nil, message: "rank \(rank): \(what.lowercased())"
            )
        }
        return nil
    }
}

extension SlurmJobFiles {
    /// The workers' exit files, in rank order.
    var rankExits: [SlurmWorkerFailure.RankExit] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: ranks.path)) ?? []
        return names.compactMap { name -> SlurmWorkerFailure.RankExit? in
            guard name.hasSuffix(".exit"), let rank = Int(name.dropLast(5)) else { return nil }
            let file = ranks.appendingPathComponent(name)
            guard let text = JobFiles.readText(file), let written = modified(file) else { return nil }
            return .parse(rank: rank, text: text, written: written)
        }.sorted { $0.rank < $1.rank }
    }
}
