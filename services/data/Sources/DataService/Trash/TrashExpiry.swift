import Foundation
import Platform
import Store

/// Empties the trash by itself: a project, experiment, run, dataset or dataset version that has
/// been in the trash longer than its project's retention (the project's own
/// `trashRetentionDays`, else `mlex.data.trashRetentionDays`) is purged exactly as
/// `DELETE …?purge=true` purges it (`Entities.remove`): everything it holds goes in one batch
/// with its `….deleted` event, and the blobs no one else holds are freed. The sweeper runs it.
struct TrashExpiry: Sendable {
    let core: DataCore
    /// For projects that set no retention of their own.
    let defaultRetention: TimeInterval

    struct Outcome: Sendable {
        var purged = 0
        var freedBytes: Int64 = 0
    }

    static let pageSize = 500

    /// Purges what expired by `now`.
    func purgeExpired(now: Date) async throws -> Outcome {
        var round = Round(now: now)
        // Containers first: a purged project takes its experiments, runs and datasets with it.
        try await purge(core.projects.entities, &round)
        try await purge(core.experiments.entities, &round)
        try await purge(core.datasets.datasetEntities, &round)
        try await purge(core.runs.entities, &round)
        try await purge(core.datasets.versionEntities, &round)
        return round.outcome
    }

    /// One pass over the trash: its time, each project's retention read once, what it freed.
    private struct Round {
        let now: Date
        var retentions: [String: TimeInterval] = [:]
        var outcome = Outcome()
    }

    private func purge<Record: TrashableRecord>(_ entities: Entities<Record>, _ round: inout Round) async throws {
        var after: String?
        while true {
            let page = try await core.store.find(
                Record.collection,
                Query(
                    filter: ["lifecycle": .string(Lifecycle.trashed.rawValue)], sort: [.ascending("id")],
                    limit: Self.pageSize, after: after.map { ["id": .string($0)] }))
            for document in page {
                let record = try Record(document: document)
                guard case .present(let text) = record.trashedAt, let trashedAt = Timestamp.parse(text) else {
                    continue
                }
                let retention = try await retention(of: record.projectId, &round)
                guard trashedAt.addingTimeInterval(retention) <= round.now else { continue }
                // Read again just before: it may have been restored (or purged) since the page.
                guard let current = try await core.store.get(record.id, from: Record.collection).map(Record.init),
                    current.lifecycle == .trashed, current.trashedAt == record.trashedAt
                else { continue }
                round.outcome.freedBytes += try await entities.remove(current, purge: true)
                round.outcome.purged += 1
            }
            guard page.count == Self.pageSize, let last = page.last?["id"]?.stringValue else { return }
            after = last
        }
    }

    private func retention(of projectID: String, _ round: inout Round) async throws -> TimeInterval {
        if let known = round.retentions[projectID] { return known }
        let days = try await core.projects.project(id: projectID)?.trashRetentionDays
        let retention = days.map { TimeInterval($0) * 86400 } ?? defaultRetention
        round.retentions[projectID] = retention
        return retention
    }
}
