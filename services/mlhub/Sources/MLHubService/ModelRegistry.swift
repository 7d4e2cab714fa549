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

    func createModel(projectID: String, fields: [String: JSONValue], owner: String) async throws -> JSONValue {
        let now = JSONValue.string(Timestamp.now)
        var model = fields
        let name = fields["name"]?.stringValue ?? ""
        model.merge([
            "id": .string(ID.make()), "projectId": .string(projectID), "nameKey": .string(name.lowercased()), "owner": .string(owner),
            "public": fields["public"] ?? false, "authors": fields["authors"] ?? [], "tags": [], "latestVersion": 0, "deployCount": 0,
            "createdAt": now, "updatedAt": now,
        ]) { _, given in given }
        let document = JSONValue.object(model)
        do {
            try await store.batch([
                .insert(document, into: "models"), audit(document, version: nil, action: "model.created", actor: owner),
                HubEvents.model("created", document),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict("the project already has a model named \(name)", code: "model_exists", field: "name")
        }
        return document
    }

    func model(id: String) async throws -> JSONValue? {
        try await store.get(id, from: "models")
    }

    func model(named name: String, in projectID: String) async throws -> JSONValue? {
        try await store.find("models", Query(filter: ["projectId": .string(projectID), "nameKey": .string(name.lowercased())], limit: 1)).first
    }

    /// Sets `changes` on the model and the copies its versions keep for search.
    func updateModel(_ model: JSONValue, _ changes: [String: JSONValue], actor: String) async throws -> JSONValue {
        try await lock.withLock {
            var updated = try await self.model(id: model["id"]!.stringValue!) ?? model
            for (key, value) in changes { updated[key] = value }
            updated["updatedAt"] = .string(Timestamp.now)
            try await store.batch([
                .update("models", filter: ["id": model["id"]!], update: ["$set": .object(changes.merging(["updatedAt": updated["updatedAt"]!]) { $1 })], many: false),
                .update("model_versions", filter: ["modelId": model["id"]!], update: ["$set": .object(Self.searchFields(of: updated))], many: true),
                audit(updated, version: nil, action: "model.updated", actor: actor, to: .object(changes)),
                HubEvents.model("updated", updated),
            ])
            return updated
        }
    }

    /// Deletes the model, its versions and audit log, announcing each deletion (tags drop them).
    func deleteModel(_ model: JSONValue) async throws {
        try await lock.withLock {
            let versions = try await store.find("model_versions", Query(filter: ["modelId": model["id"]!]))
            try await store.batch(versions.map { HubEvents.version("deleted", $0) } + [
                .delete("model_versions", filter: ["modelId": model["id"]!]), .delete("model_audit", filter: ["modelId": model["id"]!]),
                .delete("models", filter: ["id": model["id"]!]), HubEvents.model("deleted", model),
            ])
        }
    }

    // MARK: versions

    /// What a version needs besides its number: lineage, metrics, files, label, description.
    struct VersionInput: Sendable {
        var label: String?
        var description: String?
        var source: [String: JSONValue] = [:]
        var metrics: [String: JSONValue] = [:]
        var files: [String: JSONValue]?
        /// How to run the version as a job: command, image or template, parameter schema,
        /// resources and the code package (from an ingested card).
        var deploy: [String: JSONValue]?
    }

    /// Adds version `latest + 1` to the model.
    func createVersion(of modelID: String, _ input: VersionInput, actor: String) async throws -> JSONValue {
        try await lock.withLock {
            guard let model = try await self.model(id: modelID) else { throw APIError.notFound("no model \(modelID)") }
            let number = (model["latestVersion"]?.intValue ?? 0) + 1
            let now = JSONValue.string(Timestamp.now)
            var version: [String: JSONValue] = [
                "id": .string(ID.make()), "modelId": model["id"]!, "projectId": model["projectId"]!, "number": .int(number),
                "stage": "none", "aliases": [], "source": .object(input.source), "metrics": .object(input.metrics),
                "versionTags": [], "deployCount": 0, "createdAt": now, "updatedAt": now, "createdBy": .string(actor),
            ]
            if let label = input.label { version["label"] = .string(label) }
            if let description = input.description { version["description"] = .string(description) }
            if let files = input.files { version["files"] = .object(files) }
            if let deploy = input.deploy { version["deploy"] = .object(deploy) }
            version.merge(Self.searchFields(of: model)) { $1 }
            let document = Self.withTags(.object(version))
            try await store.batch([
                .update("models", filter: ["id": model["id"]!], update: ["$set": ["latestVersion": .int(number), "updatedAt": now]], many: false),
                .insert(document, into: "model_versions"),
                audit(model, version: number, action: "version.created", actor: actor),
                HubEvents.version("created", document),
            ])
            return document
        }
    }

    func version(of modelID: String, number: Int64) async throws -> JSONValue? {
        try await store.find("model_versions", Query(filter: ["modelId": .string(modelID), "number": .int(number)], limit: 1)).first
    }

    /// Moves a version to `stage`; with `archiveOthers`, the model's other versions in that
    /// stage go to `archived` (MLflow's archive_existing_versions). Each move is audited.
    func setStage(_ version: JSONValue, to stage: String, archiveOthers: Bool, actor: String) async throws -> JSONValue {
        try await lock.withLock {
            guard let current = try await store.get(version["id"]!.stringValue!, from: "model_versions") else { throw APIError.notFound("no such version") }
            var writes: [WriteOperation] = []
            var moved: [(JSONValue, String)] = []
            if current["stage"]?.stringValue != stage { moved.append((current, stage)) }
            if archiveOthers, stage != "archived" {
                let others = try await store.find("model_versions", Query(filter: ["modelId": current["modelId"]!, "stage": .string(stage)]))
                moved += others.filter { $0["id"] != current["id"] }.map { ($0, "archived") }
            }
            var answer = current
            for (document, target) in moved {
                var updated = document
                updated["stage"] = .string(target)
                updated["updatedAt"] = .string(Timestamp.now)
                writes += [
                    .update("model_versions", filter: ["id": document["id"]!], update: ["$set": ["stage": .string(target), "updatedAt": updated["updatedAt"]!]], many: false),
                    audit(document, version: document["number"]?.intValue, action: "stage.changed", actor: actor, from: document["stage"], to: .string(target)),
                    HubEvents.version("updated", updated),
                ]
                if document["id"] == current["id"] { answer = updated }
            }
            try await store.batch(writes)
            return answer
        }
    }

    /// Points `alias` at the version numbered `number` (taking it from another version).
    func setAlias(_ alias: String, of model: JSONValue, to number: Int64, actor: String) async throws -> JSONValue {
        try await lock.withLock {
            guard let target = try await version(of: model["id"]!.stringValue!, number: number) else {
                throw APIError.invalidField("version", "the model has no version \(number)")
            }
            let holder = try await holder(of: alias, in: model)
            if holder?["id"] == target["id"] { return target }
            var writes: [WriteOperation] = []
            if let holder {
                writes.append(.update("model_versions", filter: ["id": holder["id"]!], update: ["$set": ["aliases": .array((holder["aliases"]?.arrayValue ?? []).filter { $0 != .string(alias) })]], many: false))
            }
            var updated = target
            updated["aliases"] = .array((target["aliases"]?.arrayValue ?? []) + [.string(alias)])
            writes += [
                .update("model_versions", filter: ["id": target["id"]!], update: ["$set": ["aliases": updated["aliases"]!]], many: false),
                audit(model, version: number, action: holder == nil ? "alias.set" : "alias.moved", actor: actor, from: holder?["number"], to: .int(number), alias: alias),
                HubEvents.version("updated", updated),
            ]
            try await store.batch(writes)
            return updated
        }
    }

    /// Removes `alias` from the model; false when no version held it.
    func removeAlias(_ alias: String, of model: JSONValue, actor: String) async throws -> Bool {
        try await lock.withLock {
            guard let holder = try await holder(of: alias, in: model) else { return false }
            try await store.batch([
                .update("model_versions", filter: ["id": holder["id"]!], update: ["$set": ["aliases": .array((holder["aliases"]?.arrayValue ?? []).filter { $0 != .string(alias) })]], many: false),
                audit(model, version: holder["number"]?.intValue, action: "alias.removed", actor: actor, from: holder["number"], alias: alias),
            ])
            return true
        }
    }

    func holder(of alias: String, in model: JSONValue) async throws -> JSONValue? {
        try await store.find("model_versions", Query(filter: ["modelId": model["id"]!, "aliases": ["$all": [.string(alias)]]], limit: 1)).first
    }

    // MARK: tags (from the tag service)

    /// Takes the tag service's tags of a model or version as they are now (so a replayed
    /// event sets the same tags again) and refreshes each affected version's `tags`.
    func applyTags(kind: String, entityID: String, tags: JSONValue) async throws {
        try await lock.withLock {
            let affected: [JSONValue]
            var writes: [WriteOperation] = []
            switch kind {
            case "model":
                guard try await self.model(id: entityID) != nil else { return }
                writes.append(.update("models", filter: ["id": .string(entityID)], update: ["$set": ["tags": tags]], many: false))
                affected = try await store.find("model_versions", Query(filter: ["modelId": .string(entityID)])).map { version in
                    var version = version
                    version["modelTags"] = tags
                    return version
                }
            case "modelVersion":
                guard var version = try await store.get(entityID, from: "model_versions") else { return }
                version["versionTags"] = tags
                affected = [version]
            default:
                return
            }
            for version in affected.map(Self.withTags) {
                writes.append(.update("model_versions", filter: ["id": version["id"]!], update: ["$set": [
                    "modelTags": version["modelTags"] ?? [], "versionTags": version["versionTags"] ?? [], "tags": version["tags"] ?? [],
                ]], many: false))
            }
            try await store.batch(writes)
        }
    }

    // MARK: fields kept on versions

    /// The model's fields each version carries for search, facets and visibility.
    static func searchFields(of model: JSONValue) -> [String: JSONValue] {
        [
            "name": model["name"] ?? .null, "task": model["task"] ?? .null, "framework": model["framework"] ?? .null,
            "license": model["license"] ?? .null, "authors": model["authors"] ?? [], "public": model["public"] ?? false,
            "owner": model["owner"] ?? .null, "modelDescription": model["description"] ?? .null, "modelTags": model["tags"] ?? [],
        ]
    }

    /// A version's `tags`: its model's and its own, for search and the tag facet.
    static func withTags(_ version: JSONValue) -> JSONValue {
        var version = version
        var seen = Set<JSONValue>()
        version["tags"] = .array(((version["modelTags"]?.arrayValue ?? []) + (version["versionTags"]?.arrayValue ?? [])).filter { seen.insert($0).inserted })
        return version
    }

    func audit(_ model: JSONValue, version: Int64?, action: String, actor: String, from: JSONValue? = nil, to: JSONValue? = nil, alias: String? = nil) -> WriteOperation {
        var entry: [String: JSONValue] = [
            "id": .string(ID.make()), "modelId": model["modelId"] ?? model["id"]!, "projectId": model["projectId"]!,
            "action": .string(action), "actor": .string(actor), "at": .string(Timestamp.now),
        ]
        if let version { entry["version"] = .int(version) }
        if let from, from != .null { entry["from"] = from }
        if let to { entry["to"] = to }
        if let alias { entry["alias"] = .string(alias) }
        return .insert(.object(entry), into: "model_audit")
    }

    /// A model or version as the API shows it (internal keys dropped).
    static func view(_ document: JSONValue) -> JSONValue {
        guard case .object(var members) = document else { return document }
        members["nameKey"] = nil
        return .object(members)
    }
}
