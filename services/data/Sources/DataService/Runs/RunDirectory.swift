import Foundation
import Platform
import Store

/// Runs in the data store.
struct RunDirectory: Sendable {
    let store: any DocumentStore
    let ledger: BlobLedger

    var entities: Entities<Run> { Entities(store: store, ledger: ledger) }

    func run(id: String) async throws -> Run? {
        try await store.get(id, from: Run.collection).map(Run.init(document:))
    }

    /// The run of a compute job (`source.jobId`), in any project.
    func run(ofJob jobID: String) async throws -> Run? {
        try await store.find(Run.collection, Query(filter: ["source.jobId": .string(jobID)], limit: 1)).first.map(
            Run.init(document:))
    }

    func create(_ run: Run) async throws {
        try await store.batch([
            .insert(run.document(), into: Run.collection), DataEvents.write("run.created", subject: run.id, run.view()),
        ])
    }

    func runs(in experimentID: String, lifecycle: Lifecycle?, limit: Int, after: String?) async throws -> [Run] {
        var filter: JSONValue = ["experimentId": .string(experimentID)]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        return try await store.find(
            Run.collection,
            Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] })
        )
        .map(Run.init(document:))
    }

    /// Records params write-once: a key already holding another value is a 409 naming it.
    /// The update is guarded by the values it read, so two writers racing on one key cannot
    /// both win.
    func logParams(_ params: [String: JSONValue], to run: Run) async throws {
        for attempt in 0..<3 {
            guard let current = attempt == 0 ? run : try await self.run(id: run.id) else {
                throw APIError.notFound("no run \(run.id)")
            }
            var set: [String: JSONValue] = [:]
            var guards: [JSONValue] = [["id": .string(run.id)]]
            for (key, value) in params {
                if let existing = current.params[key] {
                    guard existing == value else {
                        throw APIError.conflict(
                            "param \(key) is \(existing.jsonText) already; params are written once",
                            code: "param_conflict", field: "params.\(key)")
                    }
                } else {
                    let path = "params.\(FieldKey.encode(key))"
                    set[path] = value
                    guards.append([path: ["$exists": false]])
                }
            }
            if set.isEmpty { return }
            set["updatedAt"] = .string(Timestamp.now)
            if try await store.update(
                Run.collection, filter: ["$and": .array(guards)], update: ["$set": .object(set)], many: false) == 1
            {
                return
            }
        }
        throw APIError.conflict(
            "params of run \(run.id) kept changing under this request; retry", code: "param_conflict", field: "params")
    }

    /// Sets tags (overwriting) and removes those whose value is nil.
    func setTags(_ tags: [String: String?], on run: Run) async throws {
        var set: [String: JSONValue] = ["updatedAt": .string(Timestamp.now)]
        var unset: [String: JSONValue] = [:]
        for (key, value) in tags {
            let path = "tags.\(FieldKey.encode(key))"
            if let value { set[path] = .string(value) } else { unset[path] = "" }
        }
        var update: JSONValue = ["$set": .object(set)]
        if !unset.isEmpty { update["$unset"] = .object(unset) }
        try await store.update(Run.collection, filter: ["id": .string(run.id)], update: update, many: false)
    }
}
