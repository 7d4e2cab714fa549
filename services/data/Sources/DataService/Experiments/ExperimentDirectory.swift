import Foundation
import Platform
import Store

/// Experiments in the data store. Names are unique per project, compared case-insensitively
/// (`nameKey`); as in MLflow, a trashed experiment keeps its name until it is purged.
struct ExperimentDirectory: Sendable {
    let store: any DocumentStore
    let ledger: BlobLedger

    func experiment(id: String) async throws -> JSONValue? {
        try await store.get(id, from: "experiments")
    }

    func experiment(named name: String, in projectID: String) async throws -> JSONValue? {
        try await store.find("experiments", Query(filter: ["projectId": .string(projectID), "nameKey": .string(name.lowercased())], limit: 1)).first
    }

    func create(name: String, description: String, in projectID: String, by userID: String) async throws -> JSONValue {
        let now = Timestamp.now
        let experiment: JSONValue = [
            "id": .string(ID.make()), "projectId": .string(projectID), "name": .string(name), "nameKey": .string(name.lowercased()),
            "description": .string(description), "lifecycle": "active", "createdBy": .string(userID), "createdAt": .string(now), "updatedAt": .string(now),
        ]
        do {
            try await store.batch([
                .insert(experiment, into: "experiments"),
                DataEvents.write("experiment.created", subject: experiment["id"]!.stringValue!, Self.view(experiment)),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw Self.nameTaken(name)
        }
        return experiment
    }

    func experiments(in projectID: String, lifecycle: Lifecycle?, limit: Int, after: String?) async throws -> [JSONValue] {
        var filter: JSONValue = ["projectId": .string(projectID)]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        return try await store.find("experiments", Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] }))
    }

    var entities: Entities {
        Entities(store: store, ledger: ledger, collection: "experiments", entity: "experiment", scope: { .experiment($0) }, view: Self.view)
    }

    /// Renames or describes; a name another experiment of the project has is a 409.
    func update(_ experiment: JSONValue, set changes: [String: JSONValue]) async throws -> JSONValue {
        do {
            return try await entities.update(experiment, set: changes, verb: "updated")
        } catch let error as StoreError where error.code == .duplicate {
            throw Self.nameTaken(changes["name"]?.stringValue ?? "")
        }
    }

    static func nameTaken(_ name: String) -> APIError {
        .conflict("the project has an experiment named \(name) (perhaps in the trash)", code: "name_taken", field: "name")
    }

    static func view(_ experiment: JSONValue) -> JSONValue {
        guard case .object(var members) = experiment else { return experiment }
        members.removeValue(forKey: "nameKey")
        return .object(members)
    }
}
