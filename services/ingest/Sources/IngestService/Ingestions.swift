import Bus
import Foundation
import Outbox
import Platform
import Store

/// Ingestion records (`Ingestion`) in the store. Accepting and rejecting announce themselves
/// on `mlex.ingest` in the same batch.
struct Ingestions: Sendable {
    let store: any DocumentStore

    func ingestion(id: String) async throws -> Ingestion? {
        try await store.get(id, from: "ingestions")?.decoded(as: Ingestion.self)
    }

    /// A page of the project's ingestions, newest first, of `state` and `kind` when given.
    func ingestions(of projectID: String, state: String?, kind: String?, page: PageRequest) async throws -> [Ingestion]
    {
        var filter: JSONValue = ["projectId": .string(projectID)]
        if let state { filter["state"] = .string(state) }
        if let kind { filter["kind"] = .string(kind) }
        return try await store.find(
            "ingestions",
            Query(
                filter: filter, sort: [.descending("id")], limit: page.limit,
                after: page.after.map { ["id": .string($0)] })
        )
        .map { try $0.decoded(as: Ingestion.self) }
    }

    /// An ingestion of the same package (same SHA-256, kind and project) that did not fail:
    /// re-submitting answers it instead of ingesting again.
    func existing(kind: Ingestion.Kind, projectID: String, digest: String) async throws -> Ingestion? {
        try await store.find(
            "ingestions",
            Query(
                filter: [
                    "kind": .string(kind.rawValue), "projectId": .string(projectID), "digest": .string(digest),
                    "state": ["$ne": .string(Ingestion.State.rejected.rawValue)],
                ], limit: 1)
        ).first?.decoded(as: Ingestion.self)
    }

    /// Those left received or validating by a process that started before `time`. Read at
    /// start by a service whose failure would stop the process, so one unreadable record is
    /// left where it is rather than keeping the service down.
    func unfinished(before time: String) async throws -> [Ingestion] {
        try await store.find(
            "ingestions",
            Query(filter: [
                "state": ["$in": .array([Ingestion.State.received, .validating].map { .string($0.rawValue) })],
                "createdAt": ["$lt": .string(time)],
            ])
        ).compactMap { try? $0.decoded(as: Ingestion.self) }
    }

    func create(
        kind: Ingestion.Kind, projectID: String, package: PackageArchive, by actor: String
    ) async throws -> Ingestion {
        let ingestion = Ingestion(
            kind: kind, projectID: projectID, digest: package.digest, size: package.size, by: actor, at: Timestamp.now)
        try await store.insert(try JSONValue(encoding: ingestion), into: "ingestions")
        return ingestion
    }

    /// Moves `ingestion` to `state`, recording `change` (an acceptance, a rejection's reasons);
    /// accepted and rejected are announced as `mlex.ingest.<kind>.ingested|rejected`.
    @discardableResult
    func move(
        _ ingestion: Ingestion, to state: Ingestion.State, _ change: (inout Ingestion) -> Void = { _ in }
    ) async throws -> Ingestion {
        let now = Timestamp.now
        var updated = ingestion
        change(&updated)
        updated.state = state
        updated.updatedAt = now
        updated.transitions.append(Ingestion.Transition(state: state, at: now))
        let document = try JSONValue(encoding: updated)
        var fields = document
        fields["id"] = nil
        var writes: [WriteOperation] = [
            .update("ingestions", filter: ["id": .string(ingestion.id)], update: ["$set": fields], many: false)
        ]
        if state == .accepted || state == .rejected {
            writes.append(
                Outbox.write(
                    CloudEvent(
                        source: "/mlex/ingest",
                        type: "mlex.ingest.\(ingestion.kind.rawValue).\(state == .accepted ? "ingested" : "rejected")",
                        subject: ingestion.id, data: document
                    ), to: Topics.ingest))
        }
        try await store.batch(writes)
        return updated
    }
}
