import Foundation
import Platform
import Store

/// A daily sample of each project's storage use (`storage_samples`, id `<project>:<day>`), for
/// its use over time. The sweeper takes them: each round samples the projects not sampled yet
/// on the current UTC day, and deletes samples older than `retention`
/// (`mlex.data.storageSampleDays`).
struct StorageSamples: Sendable {
    static let collection = "storage_samples"

    let store: any DocumentStore
    let quotas: StorageQuotas
    let retention: TimeInterval

    /// Samples every project not sampled on `now`'s day; prunes the expired. Returns how many
    /// projects it sampled.
    @discardableResult
    func take(now: Date) async throws -> Int {
        let day = String(Timestamp.format(now).prefix(10))
        let oldest = String(Timestamp.format(now.addingTimeInterval(-retention)).prefix(10))
        _ = try await store.delete(Self.collection, filter: ["day": ["$lt": .string(oldest)]])
        var sampled = 0
        var after: JSONValue?
        while true {
            let page = try await store.find(
                Project.collection, Query(filter: [:], sort: [.ascending("id")], limit: 500, after: after))
            for project in page.compactMap({ $0["id"]?.stringValue }) {
                let id = "\(project):\(day)"
                guard try await store.get(id, from: Self.collection) == nil else { continue }
                let bytes = try await quotas.used(by: project)
                try await store.insert(
                    [
                        "id": .string(id), "projectId": .string(project), "day": .string(day), "bytes": .int(bytes),
                        "at": .string(Timestamp.format(now)),
                    ], into: Self.collection)
                sampled += 1
            }
            guard page.count == 500, let last = page.last?["id"] else { return sampled }
            after = ["id": last]
        }
    }

    /// The project's samples from `from` to `to` (UTC days, inclusive), oldest first.
    func samples(of project: String, from: String, to: String) async throws -> [JSONValue] {
        try await store.find(
            Self.collection,
            Query(
                filter: ["projectId": .string(project), "day": ["$gte": .string(from), "$lte": .string(to)]],
                sort: [.ascending("day")], limit: 3660)
        ).map { ["day": $0["day"] ?? .null, "bytes": $0["bytes"] ?? 0] }
    }
}
