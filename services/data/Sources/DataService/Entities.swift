import Foundation
import Hummingbird
import Platform
import Store

/// Projects, experiments, runs, datasets and dataset versions: records inside a project that
/// change by `$set`, announce each new state as `mlex.data.<entity>.<verb>`, go to the trash,
/// come back, and are purged with all they hold (docs/design.md §4: `….trashed` is restorable,
/// `….deleted` is final).
protocol TrashableRecord: StoredRecord {
    /// The collection (`runs`) and the entity's name in event types (`run`).
    static var collection: String { get }
    static var entity: String { get }

    var id: String { get }
    var projectId: String { get }
    var lifecycle: Lifecycle { get set }
    var trashedAt: Presence<String> { get set }
    var updatedAt: String? { get set }
    /// Everything a purge removes with the record.
    var purgeScope: Purge.Scope { get }
    /// The record as clients and events see it.
    func view() throws -> JSONValue
}

/// Changes, trash, restore and purge of one kind of `TrashableRecord`.
struct Entities<Record: TrashableRecord>: Sendable {
    let store: any DocumentStore
    /// Frees the blobs of the files a purge removes.
    let ledger: BlobLedger

    /// Writes what differs between `original` and `changed` (and `updatedAt`); announces
    /// `<entity>.<verb>` unless `verb` is nil.
    func update(_ original: Record, to changed: Record, verb: String?) async throws -> Record {
        let (updated, operations) = try updating(original, to: changed, verb: verb)
        try await store.batch(operations)
        return updated
    }

    /// The record after `update`, and the writes that make it so (for callers that add them to
    /// a batch of their own, such as an event consumer). Only the members that changed are
    /// written, so a concurrent write to another member (a run's metrics) is never undone.
    func updating(_ original: Record, to changed: Record, verb: String?) throws -> (Record, [WriteOperation]) {
        var updated = changed
        updated.updatedAt = Timestamp.now
        let before = try original.document().objectValue ?? [:]
        let after = try updated.document().objectValue ?? [:]
        var update: JSONValue = ["$set": .object(after.filter { key, value in before[key] != value })]
        let removed = before.keys.filter { after[$0] == nil }
        if !removed.isEmpty {
            update["$unset"] = .object(Dictionary(uniqueKeysWithValues: removed.map { ($0, JSONValue.string("")) }))
        }
        var operations: [WriteOperation] = [
            .update(Record.collection, filter: ["id": .string(original.id)], update: update, many: false)
        ]
        if let verb {
            operations.append(DataEvents.write("\(Record.entity).\(verb)", subject: original.id, try updated.view()))
        }
        return (updated, operations)
    }

    /// Moves the record to the trash, or with `purge` deletes it and all it holds for good,
    /// which only something already in the trash may be (a two-step delete, as MLflow's).
    /// Returns the bytes a purge freed (files no one else holds), 0 for a move to the trash.
    @discardableResult
    func remove(_ record: Record, purge: Bool) async throws -> Int64 {
        let trashed = record.lifecycle == .trashed
        if purge {
            guard trashed else {
                throw APIError.conflict(
                    "only a \(Record.entity) in the trash can be purged; delete it without purge first",
                    code: "not_trashed")
            }
            let scope = record.purgeScope
            var held: Set<String> = []
            for collection in BlobLedger.referencing {
                held.formUnion(try await ledger.blobIDs(in: collection, matching: [scope.field: .string(record.id)]))
            }
            try await store.batch(
                Purge.operations(scope) + [
                    DataEvents.write("\(Record.entity).deleted", subject: record.id, try record.view())
                ])
            return try await ledger.reclaim(held)
        } else if !trashed {
            var inTrash = record
            inTrash.lifecycle = .trashed
            inTrash.trashedAt = .present(Timestamp.now)
            _ = try await update(record, to: inTrash, verb: "trashed")
        }
        return 0
    }

    /// Takes the record out of the trash (a no-op for an active one).
    func restore(_ record: Record) async throws -> Record {
        guard record.lifecycle == .trashed else { return record }
        var restored = record
        restored.lifecycle = .active
        restored.trashedAt = .null
        return try await update(record, to: restored, verb: "restored")
    }
}

/// `lifecycle` of projects, experiments and runs: trashed ones are restorable until purged.
enum Lifecycle: String, Codable, Sendable, CaseIterable {
    case active, trashed

    /// `?view=active|trashed|all` of list endpoints; nil is all.
    static func view(_ request: Request) throws -> Lifecycle? {
        switch request.uri.queryParameters.get("view") ?? "active" {
        case "all": return nil
        case let text:
            guard let lifecycle = Lifecycle(rawValue: text) else {
                throw APIError.invalidField("view", "view is active, trashed or all")
            }
            return lifecycle
        }
    }

    static let viewParameter = OperationDoc.QueryParameter(
        "view", Schema.enumeration(["active", "trashed", "all"]), "which to list (default active)")
}
