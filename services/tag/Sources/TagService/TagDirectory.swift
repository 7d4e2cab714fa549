import Foundation
import Platform
import Store

/// An entity as the tag service knows it from the bus: what it is, and its project.
struct EntityRef: Sendable {
    let kind: EntityKind
    let id: String
    let projectID: String
}

/// Tags in the store: one document per entity and key (`tags`, unique on kind, entity and key),
/// a count per project, kind and
/// tag (`tag_counts`, kept in the same batch as the tags, so counting is one read), and the
/// entities heard of on the bus (`entity_views`). Changes go through one lock: one tag process
/// per installation, as compute (docs/tag.md).
struct TagDirectory: Sendable {
    let store: any DocumentStore
    let lock = AsyncLock()

    static let maxTagsPerEntity = 50

    // MARK: entities

    static func viewID(_ kind: EntityKind, _ id: String) -> String { "\(kind.rawValue):\(id)" }

    /// The entity as the bus announced it. Its creation event may still be on the way when a
    /// client tags what it just created, so a miss is asked again for up to `patience`.
    func entity(_ kind: EntityKind, _ id: String, patience: Duration = .seconds(2)) async throws -> EntityRef? {
        let deadline = ContinuousClock.now + patience
        while true {
            if let view = try await store.get(Self.viewID(kind, id), from: "entity_views"), let project = view["projectId"]?.stringValue {
                return EntityRef(kind: kind, id: id, projectID: project)
            }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Writes that record an entity heard of on the bus (idempotent).
    static func remember(_ entity: EntityRef) -> [WriteOperation] {
        let id = JSONValue.string(viewID(entity.kind, entity.id))
        return [
            .delete("entity_views", filter: ["id": id]),
            .insert(["id": id, "kind": .string(entity.kind.rawValue), "entityId": .string(entity.id), "projectId": .string(entity.projectID)], into: "entity_views"),
        ]
    }

    // MARK: reading

    func tags(of entity: EntityRef) async throws -> [JSONValue] {
        try await store.find("tags", Query(filter: ["kind": .string(entity.kind.rawValue), "entityId": .string(entity.id)], sort: [.ascending("key")]))
    }

    /// Entities of a project carrying `key` (any value, or `value`), by id.
    func tagged(projectID: String, key: String, value: String?, kind: EntityKind?, limit: Int, after: String?) async throws -> [JSONValue] {
        var filter: JSONValue = ["projectId": .string(projectID), "key": .string(key)]
        if let value { filter["value"] = .string(value) }
        if let kind { filter["kind"] = .string(kind.rawValue) }
        return try await store.find("tags", Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] }))
    }

    /// How many entities of the project carry each tag (of `kind`, or of every kind), most used first.
    func counts(projectID: String, kind: EntityKind?) async throws -> [JSONValue] {
        var filter: JSONValue = ["projectId": .string(projectID)]
        if let kind { filter["kind"] = .string(kind.rawValue) }
        var totals: [String: (key: JSONValue, value: JSONValue, count: Int64)] = [:]
        for counter in try await store.find("tag_counts", Query(filter: filter)) {
            let tag = counter["tag"]?.stringValue ?? ""
            let previous = totals[tag]?.count ?? 0
            totals[tag] = (counter["key"] ?? .null, counter["value"] ?? .null, previous + (counter["count"]?.intValue ?? 0))
        }
        return totals.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }.map { tag, total in
            var item: JSONValue = ["tag": .string(tag), "key": total.key, "count": .int(total.count)]
            if total.value != .null { item["value"] = total.value }
            return item
        }
    }

    // MARK: changing

    /// Adds `tags` to the entity (a key it already has takes the new value); the entity's tags
    /// after, and the writes' event, in one batch.
    func add(_ tags: [Tag], to entity: EntityRef, by actor: String) async throws -> [JSONValue] {
        try await lock.withLock {
            let existing = Dictionary(uniqueKeysWithValues: try await self.tags(of: entity).compactMap { doc in doc["key"]?.stringValue.map { ($0, doc) } })
            var writes: [WriteOperation] = [], counts: [String: (Tag, Int)] = [:]
            var added: [Tag] = [], removed: [Tag] = []
            for tag in tags {
                if let old = existing[tag.key] {
                    let oldTag = Self.tag(of: old)
                    if oldTag == tag { continue }
                    writes.append(.delete("tags", filter: ["id": old["id"]!]))
                    counts[oldTag.text, default: (oldTag, 0)].1 -= 1
                    removed.append(oldTag)
                }
                writes.append(.insert(Self.document(tag, on: entity, by: actor), into: "tags"))
                counts[tag.text, default: (tag, 0)].1 += 1
                added.append(tag)
            }
            let keys = Set(existing.keys).union(tags.map(\.key))
            guard keys.count <= Self.maxTagsPerEntity else {
                throw APIError.invalidField("tags", "an entity holds at most \(Self.maxTagsPerEntity) tags; it would hold \(keys.count)")
            }
            guard !added.isEmpty else { return Array(existing.values).sorted { ($0["key"]?.stringValue ?? "") < ($1["key"]?.stringValue ?? "") } }
            let now = existing.values.map(Self.tag(of:)).filter { !removed.contains($0) } + added
            writes += try await counterWrites(counts, entity: entity)
            writes.append(TagEvents.changed(kind: entity.kind, entityID: entity.id, projectID: entity.projectID, now: now, added: added, removed: removed))
            try await store.batch(writes)
            return try await self.tags(of: entity)
        }
    }

    /// Removes the tag with `key` (and `value`, when given) from the entity; false when it had none.
    func remove(key: String, value: String?, from entity: EntityRef) async throws -> Bool {
        try await lock.withLock {
            let current = try await self.tags(of: entity)
            guard let doc = current.first(where: { $0["key"]?.stringValue == key }), value == nil || doc["value"]?.stringValue == value else { return false }
            let tag = Self.tag(of: doc)
            var writes: [WriteOperation] = [.delete("tags", filter: ["id": doc["id"]!])]
            writes += try await counterWrites([tag.text: (tag, -1)], entity: entity)
            let now = current.map(Self.tag(of:)).filter { $0 != tag }
            writes.append(TagEvents.changed(kind: entity.kind, entityID: entity.id, projectID: entity.projectID, now: now, added: [], removed: [tag]))
            try await store.batch(writes)
            return true
        }
    }

    /// Forgets a deleted entity and its tags (announcing their removal); idempotent.
    func drop(_ entity: EntityRef) async throws {
        try await lock.withLock {
            let current = try await self.tags(of: entity).map(Self.tag(of:))
            var writes: [WriteOperation] = [
                .delete("entity_views", filter: ["id": .string(Self.viewID(entity.kind, entity.id))]),
                .delete("tags", filter: ["kind": .string(entity.kind.rawValue), "entityId": .string(entity.id)]),
            ]
            if !current.isEmpty {
                writes += try await counterWrites(Dictionary(uniqueKeysWithValues: current.map { ($0.text, ($0, -1)) }), entity: entity)
                writes.append(TagEvents.changed(kind: entity.kind, entityID: entity.id, projectID: entity.projectID, now: [], added: [], removed: current))
            }
            try await store.batch(writes)
        }
    }

    /// Forgets everything of a purged project.
    func dropProject(_ projectID: String) async throws {
        try await lock.withLock {
            let filter: JSONValue = ["projectId": .string(projectID)]
            try await store.batch([.delete("tags", filter: filter), .delete("tag_counts", filter: filter), .delete("entity_views", filter: filter)])
        }
    }

    /// Applies count changes: a counter made at its first use, removed when it reaches 0.
    private func counterWrites(_ changes: [String: (Tag, Int)], entity: EntityRef) async throws -> [WriteOperation] {
        var writes: [WriteOperation] = []
        for (text, (tag, delta)) in changes where delta != 0 {
            let id = JSONValue.string("\(entity.projectID):\(entity.kind.rawValue):\(text)")
            let count = try await store.get(id.stringValue!, from: "tag_counts")?["count"]?.intValue
            switch (count, (count ?? 0) + Int64(delta)) {
            case (nil, let total) where total > 0:
                var counter: JSONValue = [
                    "id": id, "projectId": .string(entity.projectID), "kind": .string(entity.kind.rawValue),
                    "key": .string(tag.key), "tag": .string(text), "count": .int(total),
                ]
                if let value = tag.value { counter["value"] = .string(value) }
                writes.append(.insert(counter, into: "tag_counts"))
            case (.some, let total) where total > 0:
                writes.append(.update("tag_counts", filter: ["id": id], update: ["$inc": ["count": .int(Int64(delta))]], many: false))
            case (.some, _):
                writes.append(.delete("tag_counts", filter: ["id": id]))
            default:
                break
            }
        }
        return writes
    }

    static func document(_ tag: Tag, on entity: EntityRef, by actor: String) -> JSONValue {
        var document: JSONValue = [
            "id": .string(ID.make()), "kind": .string(entity.kind.rawValue), "entityId": .string(entity.id),
            "projectId": .string(entity.projectID), "key": .string(tag.key), "tag": .string(tag.text),
            "createdBy": .string(actor), "createdAt": .string(Timestamp.now),
        ]
        if let value = tag.value { document["value"] = .string(value) }
        return document
    }

    static func tag(of document: JSONValue) -> Tag {
        Tag(key: document["key"]?.stringValue ?? "", value: document["value"]?.stringValue)
    }

    /// A tag document as the API shows it.
    static func view(_ document: JSONValue) -> JSONValue {
        var view: JSONValue = [
            "tag": document["tag"] ?? .null, "key": document["key"] ?? .null, "kind": document["kind"] ?? .null,
            "entityId": document["entityId"] ?? .null, "projectId": document["projectId"] ?? .null,
            "createdBy": document["createdBy"] ?? .null, "createdAt": document["createdAt"] ?? .null,
        ]
        if let value = document["value"] { view["value"] = value }
        return view
    }
}
