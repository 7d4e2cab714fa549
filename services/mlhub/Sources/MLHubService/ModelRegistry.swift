import Foundation
import Platform
import Store

/// Models and their versions in the store (ModelDB's shape): a model is named once per project;
/// its versions are numbered 1, 2, … and each carries its lineage, metrics, stage and aliases.
/// Every version also carries its model's searchable fields (name, task, framework, authors,
/// tags…), so one indexed collection answers search, facets and leaderboards. Stage changes and
/// alias moves are kept in `model_audit` with who and when. Writes that number versions or move
/// aliases take one lock: one mlhub process per installation (as compute).
struct ModelRegistry: Sendable {
    let store: any DocumentStore
    let lock = AsyncLock()

    // MARK: models

    func createModel(_ creation: ModelCreation, in projectID: String, owner: String) async throws -> Model {
        let model = Model(creation, projectID: projectID, owner: owner, at: Timestamp.now)
        do {
            try await store.batch([
                .insert(try model.document(), into: "models"),
                try audit(AuditEntry(.modelCreated, modelID: model.id, projectID: model.projectId, actor: owner)),
                try HubEvents.model("created", model),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict(
                "the project already has a model named \(model.name)", code: "model_exists", field: "name")
        }
        return model
    }

    func model(id: String) async throws -> Model? {
        try await store.get(id, from: "models")?.decoded(as: Model.self)
    }

    func model(named name: String, in projectID: String) async throws -> Model? {
        try await store.find(
            "models",
            Query(filter: ["projectId": .string(projectID), "nameKey": .string(Model.nameKey(name))], limit: 1)
        )
        .first?.decoded(as: Model.self)
    }

    /// A page of the project's models, by id; every one of them when `page` is nil.
    func models(in projectID: String, page: PageRequest? = nil) async throws -> [Model] {
        try await store.find(
            "models",
            Query(
                filter: ["projectId": .string(projectID)], sort: [.ascending("id")], limit: page?.limit,
                after: Self.after(page))
        )
        .map { try $0.decoded(as: Model.self) }
    }

    /// Applies `change` to the model and the copies its versions keep for search.
    func updateModel(_ model: Model, _ change: ModelChange, actor: String) async throws -> Model {
        try await lock.withLock {
            let updated = (try await self.model(id: model.id) ?? model).applying(change, at: Timestamp.now)
            var fields = try JSONValue(encoding: change)
            fields["updatedAt"] = .string(updated.updatedAt)
            try await store.batch([
                .update("models", filter: ["id": .string(model.id)], update: ["$set": fields], many: false),
                .update(
                    "model_versions", filter: ["modelId": .string(model.id)],
                    update: ["$set": try JSONValue(encoding: updated.searchFields)], many: true),
                try audit(
                    AuditEntry(
                        .modelUpdated, modelID: model.id, projectID: model.projectId, actor: actor,
                        to: try JSONValue(encoding: change))),
                try HubEvents.model("updated", updated),
            ])
            return updated
        }
    }

    /// Deletes the model, its versions and audit log, announcing each deletion (tags drop them).
    func deleteModel(_ model: Model) async throws {
        try await lock.withLock {
            let filter: JSONValue = ["modelId": .string(model.id)]
            // A deleted version's event carries it as it was stored: no need to decode it first.
            let versions = try await store.find("model_versions", Query(filter: filter))
            try await store.batch(
                versions.map { HubEvents.version("deleted", document: $0) } + [
                    .delete("model_versions", filter: filter), .delete("model_audit", filter: filter),
                    .delete("models", filter: ["id": .string(model.id)]), try HubEvents.model("deleted", model),
                ])
        }
    }

    func audit(of model: Model, page: PageRequest) async throws -> [AuditEntry] {
        try await store.find(
            "model_audit",
            Query(
                filter: ["modelId": .string(model.id)], sort: [.ascending("id")], limit: page.limit,
                after: Self.after(page))
        )
        .map { try $0.decoded(as: AuditEntry.self) }
    }

    // MARK: versions

    /// Adds version `latest + 1` to the model.
    func createVersion(of modelID: String, _ draft: VersionDraft, actor: String) async throws -> ModelVersion {
        try await lock.withLock {
            guard let model = try await self.model(id: modelID) else { throw APIError.notFound("no model \(modelID)") }
            let number = model.latestVersion + 1
            let version = ModelVersion(draft, of: model, number: number, by: actor, at: Timestamp.now)
            let document = try JSONValue(encoding: version)
            try await store.batch([
                .update(
                    "models", filter: ["id": .string(model.id)],
                    update: ["$set": ["latestVersion": .int(number), "updatedAt": .string(version.createdAt)]],
                    many: false),
                .insert(document, into: "model_versions"),
                try audit(
                    AuditEntry(
                        .versionCreated, modelID: model.id, projectID: model.projectId, version: number, actor: actor)),
                HubEvents.version("created", document: document),
            ])
            return version
        }
    }

    func version(id: String) async throws -> ModelVersion? {
        try await store.get(id, from: "model_versions")?.decoded(as: ModelVersion.self)
    }

    func version(of modelID: String, number: Int64) async throws -> ModelVersion? {
        try await store.find(
            "model_versions", Query(filter: ["modelId": .string(modelID), "number": .int(number)], limit: 1)
        )
        .first?.decoded(as: ModelVersion.self)
    }

    /// A page of the model's versions, oldest first.
    func versions(of modelID: String, page: PageRequest) async throws -> [ModelVersion] {
        try await store.find(
            "model_versions",
            Query(
                filter: ["modelId": .string(modelID)], sort: [.ascending("id")], limit: page.limit,
                after: Self.after(page))
        )
        .map { try $0.decoded(as: ModelVersion.self) }
    }

    /// Moves a version to `stage`; with `archiveOthers`, the model's other versions in that
    /// stage go to `archived` (MLflow's archive_existing_versions). Each move is audited.
    func setStage(
        _ version: ModelVersion, to stage: Stage, archiveOthers: Bool, actor: String
    ) async throws -> ModelVersion {
        try await lock.withLock {
            guard let current = try await self.version(id: version.id) else {
                throw APIError.notFound("no such version")
            }
            var moved: [(ModelVersion, Stage)] = []
            if current.stage != stage { moved.append((current, stage)) }
            if archiveOthers, stage != .archived {
                let others = try await store.find(
                    "model_versions",
                    Query(filter: ["modelId": .string(current.modelId), "stage": .string(stage.rawValue)]))
                moved += try others.map { try $0.decoded(as: ModelVersion.self) }.filter { $0.id != current.id }.map {
                    ($0, .archived)
                }
            }
            var answer = current
            var writes: [WriteOperation] = []
            for (before, target) in moved {
                var after = before
                after.stage = target
                after.updatedAt = Timestamp.now
                writes += [
                    .update(
                        "model_versions", filter: ["id": .string(before.id)],
                        update: ["$set": ["stage": .string(target.rawValue), "updatedAt": .string(after.updatedAt)]],
                        many: false),
                    try audit(
                        AuditEntry(
                            .stageChanged, modelID: before.modelId, projectID: before.projectId, version: before.number,
                            actor: actor,
                            from: .string(before.stage.rawValue), to: .string(target.rawValue)
                        )),
                    try HubEvents.version("updated", after),
                ]
                if before.id == current.id { answer = after }
            }
            try await store.batch(writes)
            return answer
        }
    }

    /// Points `alias` at the version numbered `number` (taking it from another version).
    func setAlias(_ alias: Alias, of model: Model, to number: Int64, actor: String) async throws -> ModelVersion {
        try await lock.withLock {
            guard var target = try await version(of: model.id, number: number) else {
                throw APIError.invalidField("version", "the model has no version \(number)")
            }
            let holder = try await holder(of: alias, in: model)
            if let holder, holder.id == target.id { return target }
            var writes: [WriteOperation] = []
            if let holder { writes.append(Self.setAliases(holder.aliases.filter { $0 != alias.name }, of: holder)) }
            target.aliases.append(alias.name)
            writes += [
                Self.setAliases(target.aliases, of: target),
                try audit(
                    AuditEntry(
                        holder == nil ? .aliasSet : .aliasMoved, modelID: model.id, projectID: model.projectId,
                        version: number, actor: actor,
                        from: holder.map { .int($0.number) }, to: .int(number), alias: alias.name
                    )),
                try HubEvents.version("updated", target),
            ]
            try await store.batch(writes)
            return target
        }
    }

    /// Removes `alias` from the model; false when no version held it.
    func removeAlias(_ alias: Alias, of model: Model, actor: String) async throws -> Bool {
        try await lock.withLock {
            guard let holder = try await holder(of: alias, in: model) else { return false }
            try await store.batch([
                Self.setAliases(holder.aliases.filter { $0 != alias.name }, of: holder),
                try audit(
                    AuditEntry(
                        .aliasRemoved, modelID: model.id, projectID: model.projectId, version: holder.number,
                        actor: actor, from: .int(holder.number), alias: alias.name)),
            ])
            return true
        }
    }

    func holder(of alias: Alias, in model: Model) async throws -> ModelVersion? {
        try await store.find(
            "model_versions",
            Query(filter: ["modelId": .string(model.id), "aliases": ["$all": [.string(alias.name)]]], limit: 1)
        )
        .first?.decoded(as: ModelVersion.self)
    }

    private static func setAliases(_ aliases: [String], of version: ModelVersion) -> WriteOperation {
        .update(
            "model_versions", filter: ["id": .string(version.id)],
            update: ["$set": ["aliases": .array(aliases.map(JSONValue.string))]], many: false)
    }

    // MARK: tags (from the tag service)

    /// Takes the tag service's tags of a model or version as they are now (so a replayed
    /// event sets the same tags again) and refreshes each affected version's `tags`.
    func applyTags(kind: String, entityID: String, tags: [String]) async throws {
        try await lock.withLock {
            let affected: [ModelVersion]
            var writes: [WriteOperation] = []
            switch kind {
            case "model":
                guard try await self.model(id: entityID) != nil else { return }
                writes.append(
                    .update(
                        "models", filter: ["id": .string(entityID)], update: ["$set": ["tags": Self.json(tags)]],
                        many: false))
                affected = try await store.find("model_versions", Query(filter: ["modelId": .string(entityID)])).map {
                    document in
                    var version = try document.decoded(as: ModelVersion.self)
                    version.model.tags = tags
                    return version
                }
            case "modelVersion":
                guard var version = try await self.version(id: entityID) else { return }
                version.versionTags = tags
                affected = [version]
            default:
                return
            }
            for version in affected {
                writes.append(
                    .update(
                        "model_versions", filter: ["id": .string(version.id)],
                        update: [
                            "$set": [
                                "modelTags": Self.json(version.model.tags),
                                "versionTags": Self.json(version.versionTags), "tags": Self.json(version.tags),
                            ]
                        ], many: false))
            }
            try await store.batch(writes)
        }
    }

    // MARK: helpers

    func audit(_ entry: AuditEntry) throws -> WriteOperation {
        .insert(try JSONValue(encoding: entry), into: "model_audit")
    }

    private static func json(_ strings: [String]) -> JSONValue {
        .array(strings.map(JSONValue.string))
    }

    /// Keyset pagination continues after the previous page's last id.
    private static func after(_ page: PageRequest?) -> JSONValue? {
        page?.after.map { ["id": .string($0)] }
    }
}
