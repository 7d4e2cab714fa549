import Foundation
import Platform
import Store

/// A run's log entries (LDM): timestamped lines with a level, appended in batches and read back
/// in the order they arrived.
struct RunLogs: Sendable {
    let store: any DocumentStore

    static let sourcesCollection = "run_log_sources"

    /// Stores them all in one batch; returns how many were stored. With a `source`, `sequences`
    /// numbers the entries (increasing): those at or below the source's highest stored sequence
    /// are skipped, and the new highest is written in the same batch, so a batch sent again
    /// after a crash stores nothing twice. Concurrent appends from one source retry on conflict.
    @discardableResult
    func append(_ entries: [LogEntry], source: String? = nil, sequences: [Int64] = []) async throws -> Int {
        guard let source, let run = entries.first else {
            guard !entries.isEmpty else { return 0 }
            try await store.batch(entries.map { .insert($0.document(), into: "run_logs") })
            return entries.count
        }
        let markID = "\(run.runId):\(source)"
        for _ in 0..<8 {
            let mark = try await store.get(markID, from: Self.sourcesCollection)
            let last = mark?["last"]?.numberValue.map { Int64($0) }
            let fresh = zip(entries, sequences).filter { last == nil || $0.1 > last! }
            guard let highest = fresh.last?.1 else { return 0 }
            let advance: WriteOperation =
                if let last {
                    .updateOrConflict(
                        Self.sourcesCollection, filter: ["id": .string(markID), "last": .int(last)],
                        update: ["$set": ["last": .int(highest)]])
                } else {
                    .insert(
                        [
                            "id": .string(markID), "runId": .string(run.runId),
                            "experimentId": .string(run.experimentId),
                            "projectId": .string(run.projectId), "source": .string(source), "last": .int(highest),
                        ], into: Self.sourcesCollection)
                }
            do {
                try await store.batch(fresh.map { .insert($0.0.document(), into: "run_logs") } + [advance])
                return fresh.count
            } catch let error as StoreError where error.code == .conflict || error.code == .duplicate {
                continue  // another append from the same source moved the mark: read it again
            }
        }
        throw APIError.conflict(
            "log entries from source \(source) keep racing; send them again", code: "write_conflict", field: "source")
    }

    /// Entries after `after` (an entry id) in arrival order, at or above `level`, of one worker
    /// when `rank` is given.
    func entries(
        of runID: String, minimum level: LogEntry.Level?, rank: Int? = nil, limit: Int, after: String?
    ) async throws -> [LogEntry] {
        var filter: JSONValue = ["runId": .string(runID)]
        if let rank { filter["rank"] = .int(Int64(rank)) }
        if let level, level != .debug {
            let levels = LogEntry.Level.allCases.drop(while: { $0 != level }).map { JSONValue.string($0.rawValue) }
            filter["level"] = ["$in": .array(Array(levels))]
        }
        return try await store.find(
            "run_logs",
            Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] })
        )
        .map(LogEntry.init(document:))
    }
}
