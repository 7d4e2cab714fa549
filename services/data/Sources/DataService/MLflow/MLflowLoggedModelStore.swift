import Foundation
import Platform
import Store

/// Logged models in the data store (`MLflowLoggedModel`).
struct MLflowLoggedModelStore: Sendable {
    let store: any DocumentStore

    /// The most models one search reads before filtering them; an experiment holding more is
    /// asked to narrow its search.
    static let searchCeiling = 10_000

    func model(id: String) async throws -> MLflowLoggedModel? {
        guard MLflowLoggedModel.isID(id) else { return nil }
        return try await store.get(id, from: MLflowLoggedModel.collection).map(MLflowLoggedModel.init(document:))
    }

    func create(_ model: MLflowLoggedModel) async throws {
        try await store.insert(try model.document(), into: MLflowLoggedModel.collection)
    }

    /// Replaces the stored model by `model` (same id), stamping its update time.
    @discardableResult
    func save(_ model: MLflowLoggedModel) async throws -> MLflowLoggedModel {
        var changed = model
        changed.lastUpdatedTimestampMs = Self.nowMs()
        try await store.batch([
            .delete(MLflowLoggedModel.collection, filter: ["id": .string(model.id)]),
            .insert(try changed.document(), into: MLflowLoggedModel.collection),
        ])
        return changed
    }

    /// The experiments' models not deleted, newest first, at most `searchCeiling` + 1 of them.
    func models(in experimentIDs: [String]) async throws -> [MLflowLoggedModel] {
        try await store.find(
            MLflowLoggedModel.collection,
            Query(
                filter: ["experimentId": ["$in": .array(experimentIDs.map(JSONValue.string))], "deleted": false],
                sort: [.descending("creationTimestampMs")], limit: Self.searchCeiling + 1)
        ).map(MLflowLoggedModel.init(document:))
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
