import ComputeWire
import Foundation
import Platform
import Store

/// The last minutes of measured usage of each job and node, one sample per heartbeat, for
/// watching a job live (ClearML's and DCloud's resource graphs). Samples older than the window
/// (`mlex.compute.usageWindowMinutes`) are deleted with every heartbeat, so the collection stays
/// small, and by `ComputeRetention` when no heartbeat comes; a job keeps its peak memory on its
/// own document, and its totals in its accounting record, once it ends.
enum UsageHistory {
    static let collection = "usage_samples"

    static func subject(job: String) -> String { "job:\(job)" }
    static func subject(node: String) -> String { "node:\(node)" }

    /// The writes that record one heartbeat, to go in the heartbeat's own batch.
    static func writes(
        node: String, total: Usage, jobs: [String: Usage], at now: Date, window: TimeInterval
    ) throws -> [WriteOperation] {
        let atMs = Int64(now.timeIntervalSince1970 * 1000)
        func sample(_ subject: String, _ usage: Usage) throws -> WriteOperation {
            var document = try JSONValue(encoding: usage)
            document["id"] = .string(ID.make())
            document["subject"] = .string(subject)
            document["at"] = .string(Timestamp.format(now))
            document["atMs"] = .int(atMs)
            return .insert(document, into: collection)
        }
        return try [sample(subject(node: node), total)]
            + jobs.sorted { $0.key < $1.key }.map { try sample(subject(job: $0.key), $0.value) }
            + [expired(at: now, window: window)]
    }

    /// Deletes the samples older than `window` before `now`.
    static func expired(at now: Date, window: TimeInterval) -> WriteOperation {
        let cutoff = Int64((now.timeIntervalSince1970 - window) * 1000)
        return .delete(collection, filter: ["atMs": ["$lt": .int(cutoff)]])
    }

    /// Oldest first, without the bookkeeping fields.
    static func samples(of subject: String, in store: any DocumentStore) async throws -> [JSONValue] {
        let found = try await store.find(
            collection, Query(filter: ["subject": .string(subject)], sort: [.ascending("atMs")], limit: 1000))
        return found.map { sample in
            guard case .object(var members) = sample else { return sample }
            for key in ["id", "subject", "atMs"] { members.removeValue(forKey: key) }
            return .object(members)
        }
    }

    static let schema = Schema.object(
        [
            "current": Schema.anyObject, "peakMemoryBytes": Schema.integer,
            "history": Schema.array(
                of: Schema.object([
                    "at": Schema.dateTime, "cpuSeconds": Schema.number, "memoryBytes": Schema.integer,
                    "memoryPeakBytes": Schema.integer, "pids": Schema.integer,
                ])),
        ], required: ["history"])
}
