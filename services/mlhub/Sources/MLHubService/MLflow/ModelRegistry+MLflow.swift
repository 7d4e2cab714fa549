import Platform
import Store

/// The registry's operations MLflow's API needs beyond the hub's own: renaming a model, its
/// and its versions' key-value tags, a version's description, deleting one version. Each takes
/// the registry's lock, re-reads what it changes, and announces it as the hub's routes do.
extension ModelRegistry {
    /// Renames the model; its versions' copies of the name follow. 409 `RESOURCE_ALREADY_EXISTS`
    /// when the project has a model of that name (case-insensitively) already.
    func renameModel(_ model: Model, to newName: String, actor: String) async throws -> Model {
        try await lock.withLock {
            guard var renamed = try await self.model(id: model.id) else {
                throw APIError.notFound("no registered model \(model.name)")
            }
            if let other = try await self.model(named: newName, in: model.projectId), other.id != model.id {
                throw Self.exists(newName)
            }
            renamed.name = newName
            renamed.updatedAt = Timestamp.now
            do {
                try await store.batch([
                    .update(
                        "models", filter: ["id": .string(model.id)],
                        update: [
                            "$set": [
                                "name": .string(newName), "nameKey": .string(Model.nameKey(newName)),
                                "updatedAt": .string(renamed.updatedAt),
                            ]
                        ], many: false),
                    .update(
                        "model_versions", filter: ["modelId": .string(model.id)],
                        update: ["$set": ["name": .string(newName)]], many: true),
                    try audit(
                        AuditEntry(
                            .modelUpdated, modelID: model.id, projectID: model.projectId, actor: actor,
                            to: ["name": .string(newName)])),
                    try HubEvents.model("updated", renamed),
                ])
            } catch let error as StoreError where error.code == .duplicate {
                throw Self.exists(newName)
            }
            return renamed
        }
    }

    /// Changes the model's MLflow tags with `change` (set or delete keys).
    func changeMLflowTags(
        of model: Model, _ change: @Sendable (inout [String: String]) -> Void
    ) async throws -> Model {
        try await lock.withLock {
            guard var current = try await self.model(id: model.id) else {
                throw APIError.notFound("no registered model \(model.name)")
            }
            var tags = current.mlflowTags ?? KeyValueTags()
            change(&tags.values)
            current.mlflowTags = tags
            current.updatedAt = Timestamp.now
            try await store.batch([
                .update(
                    "models", filter: ["id": .string(model.id)],
                    update: [
                        "$set": ["mlflowTags": try JSONValue(encoding: tags), "updatedAt": .string(current.updatedAt)]
                    ], many: false),
                try HubEvents.model("updated", current),
            ])
            return current
        }
    }

    /// Changes the version's MLflow tags with `change` (set or delete keys).
    func changeMLflowTags(
        of version: ModelVersion, _ change: @Sendable (inout [String: String]) -> Void
    ) async throws -> ModelVersion {
        try await changeVersion(version) { current in
            var tags = current.mlflowTags ?? KeyValueTags()
            change(&tags.values)
            current.mlflowTags = tags
            return ["mlflowTags": try JSONValue(encoding: tags)]
        }
    }

    /// Sets the version's description.
    func describeVersion(_ version: ModelVersion, as description: String) async throws -> ModelVersion {
        try await changeVersion(version) { current in
            current.description = description
            return ["description": .string(description)]
        }
    }

    /// Deletes one version (its number is never given again, as in MLflow): audited as
    /// `version.deleted`, announced as `mlex.models.model.version.deleted`.
    func deleteVersion(_ version: ModelVersion, actor: String) async throws {
        try await lock.withLock {
            guard let document = try await store.get(version.id, from: "model_versions") else { return }
            try await store.batch([
                .delete("model_versions", filter: ["id": .string(version.id)]),
                .update(
                    "models", filter: ["id": .string(version.modelId)],
                    update: ["$set": ["updatedAt": .string(Timestamp.now)]], many: false),
                try audit(
                    AuditEntry(
                        .versionDeleted, modelID: version.modelId, projectID: version.projectId,
                        version: version.number, actor: actor)),
                HubEvents.version("deleted", document: document),
            ])
        }
    }

    /// Re-reads the version, lets `change` alter it and name the fields it set, stores those
    /// with the new `updatedAt` and announces the version as updated.
    private func changeVersion(
        _ version: ModelVersion, _ change: @Sendable (inout ModelVersion) throws -> JSONValue
    ) async throws -> ModelVersion {
        try await lock.withLock {
            guard var current = try await self.version(id: version.id) else {
                throw APIError.notFound("no version \(version.number) of model \(version.model.name)")
            }
            var fields = try change(&current)
            current.updatedAt = Timestamp.now
            fields["updatedAt"] = .string(current.updatedAt)
            try await store.batch([
                .update("model_versions", filter: ["id": .string(version.id)], update: ["$set": fields], many: false),
                try HubEvents.version("updated", current),
            ])
            return current
        }
    }

    private static func exists(_ name: String) -> APIError {
        APIError(.conflict, code: "RESOURCE_ALREADY_EXISTS", message: "a registered model named \(name) exists")
    }
}
