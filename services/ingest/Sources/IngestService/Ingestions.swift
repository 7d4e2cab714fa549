import Bus
import Foundation
import Outbox
import Platform
import Store

/// Ingestion records: one per package received, moving received → validating → accepted |
/// rejected with the time of each stage and, when rejected, the reasons. Accepting and
/// rejecting announce themselves on `mlex.ingest` in the same batch.
struct Ingestions: Sendable {
    let store: any DocumentStore

    enum State: String, CaseIterable { case received, validating, accepted, rejected }

    /// An ingestion of the same package (same SHA-256, kind and project) that did not fail:
    /// re-submitting answers it instead of ingesting again.
    func existing(kind: String, projectID: String, digest: String) async throws -> JSONValue? {
        try await store.find("ingestions", Query(filter: [
            "kind": .string(kind), "projectId": .string(projectID), "digest": .string(digest), "state": ["$ne": "rejected"],
        ], limit: 1)).first
    }

    func create(kind: String, projectID: String, package: PackageArchive, by actor: String) async throws -> JSONValue {
        let now = JSONValue.string(Timestamp.now)
        let document: JSONValue = [
            "id": .string(ID.make()), "kind": .string(kind), "projectId": .string(projectID), "state": "received",
            "digest": .string(package.digest), "size": .int(package.size), "submittedBy": .string(actor),
            "transitions": [["state": "received", "at": now]], "reasons": [], "createdAt": now, "updatedAt": now,
        ]
        try await store.insert(document, into: "ingestions")
        return document
    }

    /// Moves `ingestion` to `state`, setting `changes`; accepted and rejected are announced as
    /// `mlex.ingest.<kind>.ingested|rejected`.
    @discardableResult
    func move(_ ingestion: JSONValue, to state: State, set changes: [String: JSONValue] = [:]) async throws -> JSONValue {
        let now = JSONValue.string(Timestamp.now)
        var updated = ingestion
        for (key, value) in changes { updated[key] = value }
        updated["state"] = .string(state.rawValue)
        updated["updatedAt"] = now
        updated["transitions"] = .array((ingestion["transitions"]?.arrayValue ?? []) + [["state": .string(state.rawValue), "at": now]])
        var writes: [WriteOperation] = [.update("ingestions", filter: ["id": ingestion["id"]!], update: ["$set": .object([
            "state": updated["state"]!, "updatedAt": now, "transitions": updated["transitions"]!,
        ].merging(changes) { $1 })], many: false)]
        if state == .accepted || state == .rejected {
            let kind = ingestion["kind"]?.stringValue ?? "model"
            writes.append(Outbox.write(CloudEvent(
                source: "/mlex/ingest", type: "mlex.ingest.\(kind).\(state == .accepted ? "ingested" : "rejected")",
                subject: ingestion["id"]!.stringValue!, data: updated
            ), to: Topics.ingest))
        }
        try await store.batch(writes)
        return updated
    }
}
