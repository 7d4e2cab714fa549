import Foundation
import Platform
import Store

/// Runs in the data store. Params, tags and latest metrics live in the run document under
/// encoded keys (`FieldKey`) as dynamic-key roots, so search on any of them is indexed.
struct RunDirectory: Sendable {
    let store: any DocumentStore
    let ledger: BlobLedger

    func run(id: String) async throws -> JSONValue? {
        try await store.get(id, from: "runs")
    }

    func create(_ run: JSONValue) async throws {
        try await store.batch([.insert(run, into: "runs"), DataEvents.write("run.created", subject: run["id"]!.stringValue!, Self.view(run))])
    }

    func runs(in experimentID: String, lifecycle: Lifecycle?, limit: Int, after: String?) async throws -> [JSONValue] {
        var filter: JSONValue = ["experimentId": .string(experimentID)]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        return try await store.find("runs", Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] }))
    }

    var entities: Entities {
        Entities(store: store, ledger: ledger, collection: "runs", entity: "run", scope: { .run($0) }, view: Self.view)
    }

    /// Records params write-once: a key already holding another value is a 409 naming it.
    /// The update is guarded by the values it read, so two writers racing on one key cannot
    /// both win.
    func logParams(_ params: [String: JSONValue], to run: JSONValue) async throws {
        guard let id = run["id"]?.stringValue else { throw APIError.internal }
        for attempt in 0..<3 {
            guard let current = attempt == 0 ? run : try await self.run(id: id) else { throw APIError.notFound("no run \(id)") }
            var set: [String: JSONValue] = [:]
            var guards: [JSONValue] = [["id": .string(id)]]
            for (key, value) in params {
                let path = "params.\(FieldKey.encode(key))"
                if let existing = current["params"]?[FieldKey.encode(key)] {
                    guard existing == value else {
                        throw APIError.conflict("param \(key) is \(existing.jsonText) already; params are written once", code: "param_conflict", field: "params.\(key)")
                    }
                } else {
                    set[path] = value
                    guards.append([path: ["$exists": false]])
                }
            }
            if set.isEmpty { return }
            set["updatedAt"] = .string(Timestamp.now)
            if try await store.update("runs", filter: ["$and": .array(guards)], update: ["$set": .object(set)], many: false) == 1 { return }
        }
        throw APIError.conflict("params of run \(id) kept changing under this request; retry", code: "param_conflict", field: "params")
    }

    /// Sets tags (overwriting) and removes those given as null.
    func setTags(_ tags: [String: JSONValue], on run: JSONValue) async throws {
        guard let id = run["id"]?.stringValue else { throw APIError.internal }
        var set: [String: JSONValue] = ["updatedAt": .string(Timestamp.now)]
        var unset: [String: JSONValue] = [:]
        for (key, value) in tags {
            let path = "tags.\(FieldKey.encode(key))"
            if value == .null { unset[path] = "" } else { set[path] = value }
        }
        var update: JSONValue = ["$set": .object(set)]
        if !unset.isEmpty { update["$unset"] = .object(unset) }
        try await store.update("runs", filter: ["id": .string(id)], update: update, many: false)
    }

    /// A run as clients and events see it: keys as their users wrote them.
    static func view(_ run: JSONValue) -> JSONValue {
        guard case .object(var members) = run else { return run }
        for root in ["params", "tags", "metrics", "metricSummaries"] { members[root] = FieldKey.decodeMembers(members[root]) }
        return .object(members)
    }
}
