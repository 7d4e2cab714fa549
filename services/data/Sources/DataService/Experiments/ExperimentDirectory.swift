import Foundation
import Platform
import Store

/// Experiments in the data store.
struct ExperimentDirectory: Sendable {
    let store: any DocumentStore
    let ledger: BlobLedger

    var entities: Entities<Experiment> { Entities(store: store, ledger: ledger) }

    func experiment(id: String) async throws -> Experiment? {
        try await store.get(id, from: Experiment.collection).map(Experiment.init(document:))
    }

    /// The project's experiment with this name, compared case-insensitively.
    func experiment(named name: String, in projectID: String) async throws -> Experiment? {
        try await store.find(
            Experiment.collection,
            Query(filter: ["projectId": .string(projectID), "nameKey": .string(name.lowercased())], limit: 1)
        )
        .first.map(Experiment.init(document:))
    }

    /// Stores a new experiment; a name the project already has is a 409.
    func create(_ experiment: Experiment) async throws {
        do {
            try await store.batch([
                .insert(try experiment.document(), into: Experiment.collection),
                DataEvents.write("experiment.created", subject: experiment.id, try experiment.view()),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw Self.nameTaken(experiment.name)
        }
    }

    func experiments(
        in projectID: String, lifecycle: Lifecycle?, limit: Int, after: String?
    ) async throws -> [Experiment] {
        var filter: JSONValue = ["projectId": .string(projectID)]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        return try await store.find(
            Experiment.collection,
            Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] })
        )
        .map(Experiment.init(document:))
    }

    /// Renames or describes; a name another experiment of the project has is a 409.
    func update(_ experiment: Experiment, to changed: Experiment) async throws -> Experiment {
        do {
            return try await entities.update(experiment, to: changed, verb: "updated")
        } catch let error as StoreError where error.code == .duplicate {
            throw Self.nameTaken(changed.name)
        }
    }

    static func nameTaken(_ name: String) -> APIError {
        .conflict(
            "the project has an experiment named \(name) (perhaps in the trash)", code: "name_taken", field: "name")
    }
}
