/// How a job's workers ended, as the supervisor reaps them, and which end decides the job's
/// result: the first worker to fail (exit non-zero, a signal, an OOM kill, a vanished process).
/// Workers that die after it were killed because of it and change nothing. With none failed
/// the job exited 0. A one-worker job is the same with one worker, so its result is as before.
struct WorkerEnds {
    struct End {
        /// nil when the process vanished without a status to be had.
        var status: WaitStatus?
        var oomKills: Int
    }

    let workers: Int
    private(set) var ends: [Int: End] = [:]
    private(set) var decidingRank: Int?

    init(workers: Int) {
        self.workers = workers
    }

    var allEnded: Bool { ends.count == workers }
    var failed: Bool { decidingRank != nil }

    func hasEnded(_ rank: Int) -> Bool { ends[rank] != nil }

    /// Records workers seen ended in one look. If none failed before and several of these did,
    /// one the OOM killer hit decides (its peers' failures tend to follow from it), then the
    /// lowest rank.
    mutating func record(_ batch: [(rank: Int, end: End)]) {
        for (rank, end) in batch where ends[rank] == nil { ends[rank] = end }
        guard decidingRank == nil else { return }
        decidingRank =
            batch
            .filter { Self.isFailure($0.end) }
            .min { ($0.end.oomKills == 0 ? 1 : 0, $0.rank) < ($1.end.oomKills == 0 ? 1 : 0, $1.rank) }?.rank
    }

    /// A later, higher count of the deciding worker's OOM kills (the kernel counts a kill as it
    /// sends it; read again at the end so no count can be missed).
    mutating func noteOOMKills(_ count: Int, of rank: Int) {
        if let end = ends[rank], count > end.oomKills { ends[rank]?.oomKills = count }
    }

    /// The job's result. With `namingTheRank` (several workers) the message begins
    /// "rank <r>: " for an end a worker decided; cancel and timeout are the job's own.
    func outcome(
        cancelled: Bool, timedOut: Bool, diskFull: Bool, timeoutSeconds: Int?, namingTheRank: Bool
    ) -> ExitClassifier.Outcome {
        let deciding = decidingRank.flatMap { ends[$0] }
        var outcome = ExitClassifier.classify(
            deciding == nil ? WaitStatus(raw: 0) : deciding?.status, cancelled: cancelled, timedOut: timedOut,
            oomKills: deciding?.oomKills ?? 0, diskFull: diskFull, timeoutSeconds: timeoutSeconds)
        if namingTheRank, let rank = decidingRank, !cancelled, !timedOut {
            let what = outcome.message ?? "exited with code \(outcome.exitCode ?? 0)"
            outcome.message = "rank \(rank): \(what)"
        }
        return outcome
    }

    static func isFailure(_ end: End) -> Bool {
        let outcome = ExitClassifier.classify(
            end.status, cancelled: false, timedOut: false, oomKills: end.oomKills, timeoutSeconds: nil)
        return outcome.reason != .exited || outcome.exitCode != 0
    }
}
