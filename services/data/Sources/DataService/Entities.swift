import Foundation
import Hummingbird
import Platform
import Store

/// What projects, experiments and runs share: they change by `$set` and announce the new
/// state as `mlex.data.<entity>.<verb>`, and they go to the trash, come back, and are purged
/// with all they hold (DESIGN.md §4: `….trashed` is restorable, `….deleted` is final).
struct Entities: Sendable {
    let store: any DocumentStore
    /// Frees the blobs of the files a purge removes.
    let ledger: BlobLedger
    /// The collection (`runs`) and the entity's name in event types (`run`).
    let collection: String
    let entity: String
    /// Everything a purge removes with the document of `id`.
    let scope: @Sendable (String) -> Purge.Scope
    /// The document as clients and events see it.
    let view: @Sendable (JSONValue) -> JSONValue

    /// Sets `changes` (and `updatedAt`); announces `<entity>.<verb>` unless `verb` is nil.
    func update(_ document: JSONValue, set changes: [String: JSONValue], verb: String?) async throws -> JSONValue {
        let (updated, operations) = try updating(document, set: changes, verb: verb)
        try await store.batch(operations)
        return updated
    }

    /// The document after `update`, and the writes that make it so (for callers that add
    /// them to a batch of their own, such as an event consumer).
    func updating(_ document: JSONValue, set changes: [String: JSONValue], verb: String?) throws -> (JSONValue, [WriteOperation]) {
        guard let id = document["id"]?.stringValue, case .object(var members) = document else { throw APIError.internal }
        var set = changes
        set["updatedAt"] = .string(Timestamp.now)
        for (key, value) in set { members[key] = value }
        let updated = JSONValue.object(members)
        var operations: [WriteOperation] = [.update(collection, filter: ["id": .string(id)], update: ["$set": .object(set)], many: false)]
        if let verb { operations.append(DataEvents.write("\(entity).\(verb)", subject: id, view(updated))) }
        return (updated, operations)
    }

    /// Moves the document to the trash, or with `purge` deletes it and all it holds for good,
    /// which only something already in the trash may be (a two-step delete, as MLflow's).
    /// Returns the bytes a purge freed (files no one else holds), 0 for a move to the trash.
    @discardableResult
    func remove(_ document: JSONValue, purge: Bool) async throws -> Int64 {
        guard let id = document["id"]?.stringValue else { throw APIError.internal }
        let trashed = document["lifecycle"] == .string(Lifecycle.trashed.rawValue)
        if purge {
            guard trashed else {
                throw APIError.conflict("only a \(entity) in the trash can be purged; delete it without purge first", code: "not_trashed")
            }
            let scope = scope(id)
            var held: Set<String> = []
            for collection in BlobLedger.referencing {
                held.formUnion(try await ledger.blobIDs(in: collection, matching: [scope.field: .string(id)]))
            }
            try await store.batch(Purge.operations(scope) + [DataEvents.write("\(entity).deleted", subject: id, view(document))])
            return try await ledger.reclaim(held)
        } else if !trashed {
            _ = try await update(document, set: ["lifecycle": .string(Lifecycle.trashed.rawValue), "trashedAt": .string(Timestamp.now)], verb: "trashed")
        }
        return 0
    }

    /// Takes the document out of the trash (a no-op for an active one).
    func restore(_ document: JSONValue) async throws -> JSONValue {
        guard document["lifecycle"] == .string(Lifecycle.trashed.rawValue) else { return document }
        return try await update(document, set: ["lifecycle": .string(Lifecycle.active.rawValue), "trashedAt": .null], verb: "restored")
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
            guard let lifecycle = Lifecycle(rawValue: text) else { throw APIError.invalidField("view", "view is active, trashed or all") }
            return lifecycle
        }
    }

    static let viewParameter = OperationDoc.QueryParameter("view", Schema.enumeration(["active", "trashed", "all"]), "which to list (default active)")
}
