import Foundation
import Platform
import Store

/// A run's log entries (LDM): timestamped lines with a level, appended in batches and read back
/// in the order they arrived.
struct RunLogs: Sendable {
    let store: any DocumentStore

    /// Stores them all in one batch.
    func append(_ entries: [LogEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await store.batch(entries.map { .insert($0.document(), into: "run_logs") })
    }

    /// Entries after `after` (an entry id) in arrival order, at or above `level`.
    func entries(
        of runID: String, minimum level: LogEntry.Level?, limit: Int, after: String?
    ) async throws -> [LogEntry] {
        var filter: JSONValue = ["runId": .string(runID)]
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
