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

    /// The entity as the bus announced it. Its creation event may still be on the way when a
    /// client tags what it just created, so a miss is asked again for up to `patience`.
    func entity(_ kind: EntityKind, _ id: String, patience: Duration = .seconds(2)) async throws -> EntityRef? {
        let deadline = ContinuousClock.now + patience
        while true {
            if let view = try await store.get(EntityView.id(kind, id), from: "entity_views")?.decoded(
                as: EntityView.self)
            {
                return view.entity
            }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Writes that record an entity heard of on the bus (idempotent).
    static func remember(_ entity: EntityRef) throws -> [WriteOperation] {
        let view = EntityView(entity)
        return [
            .delete("entity_views", filter: ["id": .string(view.id)]),
            .insert(try JSONValue(encoding: view), into: "entity_views"),
        ]
    }

    // MARK: reading

    func tags(of entity: EntityRef) async throws -> [TagAssignment] {
        try await store.find(
            "tags",
            Query(
                filter: ["kind": .string(entity.kind.rawValue), "entityId": .string(entity.id)],
                sort: [.ascending("key")])
        )
        .map { try $0.decoded(as: TagAssignment.self) }
    }

    /// Entities of a project carrying `key` (any value, or `value`), by id.
    func tagged(
        projectID: String, key: String, value: String?, kind: EntityKind?, limit: Int, after: String?
    ) async throws -> [TagAssignment] {
        var filter: JSONValue = ["projectId": .string(projectID), "key": .string(key)]
        if let value { filter["value"] = .string(value) }
        if let kind { filter["kind"] = .string(kind.rawValue) }
        return try await store.find(
            "tags",
            Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] })
        )
        .map { try $0.decoded(as: TagAssignment.self) }
    }

    /// How many entities of the project carry each tag (of `kind`, or of every kind), most used first.
    func counts(projectID: String, kind: EntityKind?) async throws -> [TagCount] {
        var filter: JSONValue = ["projectId": .string(projectID)]
        if let kind { filter["kind"] = .string(kind.rawValue) }
        var totals: [String: TagCount] = [:]
        for counter in try await store.find("tag_counts", Query(filter: filter)).map({
            try $0.decoded(as: TagCounter.self)
        }) {
            let previous = totals[counter.tag]?.count ?? 0
            totals[counter.tag] = TagCount(
                tag: counter.tag, key: counter.key, value: counter.value, count: previous + counter.count)
        }
        return totals.values.sorted { ($0.count, $1.tag) > ($1.count, $0.tag) }
    }

    // MARK: changing

    /// Adds `tags` to the entity (a key it already has takes the new value); the entity's tags
    /// after, and the writes' event, in one batch.
    func add(_ tags: [Tag], to entity: EntityRef, by actor: String) async throws -> [TagAssignment] {
        try await lock.withLock {
            let existing = Dictionary(uniqueKeysWithValues: try await self.tags(of: entity).map { ($0.key, $0) })
            var writes: [WriteOperation] = []
            var counts: [String: (Tag, Int)] = [:]
            var added: [Tag] = []
            var removed: [Tag] = []
            for tag in tags {
                if let old = existing[tag.key] {
                    let oldTag = old.parsed
                    if oldTag == tag { continue }
                    writes.append(.delete("tags", filter: ["id": .string(old.id)]))
                    counts[oldTag.text, default: (oldTag, 0)].1 -= 1
                    removed.append(oldTag)
                }
                writes.append(.insert(try JSONValue(encoding: TagAssignment(tag, on: entity, by: actor)), into: "tags"))
                counts[tag.text, default: (tag, 0)].1 += 1
                added.append(tag)
            }
            let keys = Set(existing.keys).union(tags.map(\.key))
            guard keys.count <= Self.maxTagsPerEntity else {
                throw APIError.invalidField(
                    "tags", "an entity holds at most \(Self.maxTagsPerEntity) tags; it would hold \(keys.count)")
            }
            guard !added.isEmpty else { return existing.values.sorted { $0.key < $1.key } }
            let now = existing.values.map(\.parsed).filter { !removed.contains($0) } + added
            writes += try await counterWrites(counts, entity: entity)
            writes.append(try TagEvents.changed(TagChange(entity, now: now, added: added, removed: removed)))
            try await store.batch(writes)
            return try await self.tags(of: entity)
        }
    }

    /// Removes the tag with `key` (and `value`, when given) from the entity; false when it had none.
    func remove(key: String, value: String?, from entity: EntityRef) async throws -> Bool {
        try await lock.withLock {
            let current = try await self.tags(of: entity)
            guard let assignment = current.first(where: { $0.key == key }), value == nil || assignment.value == value
            else { return false }
            let tag = assignment.parsed
            var writes: [WriteOperation] = [.delete("tags", filter: ["id": .string(assignment.id)])]
            writes += try await counterWrites([tag.text: (tag, -1)], entity: entity)
            let now = current.map(\.parsed).filter { $0 != tag }
            writes.append(try TagEvents.changed(TagChange(entity, now: now, added: [], removed: [tag])))
            try await store.batch(writes)
            return true
        }
    }

    /// Forgets a deleted entity and its tags (announcing their removal); idempotent.
    func drop(_ entity: EntityRef) async throws {
        try await lock.withLock {
            let current = try await self.tags(of: entity).map(\.parsed)
            var writes: [WriteOperation] = [
                .delete("entity_views", filter: ["id": .string(EntityView.id(entity.kind, entity.id))]),
                .delete("tags", filter: ["kind": .string(entity.kind.rawValue), "entityId": .string(entity.id)]),
            ]
            if !current.isEmpty {
                writes += try await counterWrites(
                    Dictionary(uniqueKeysWithValues: current.map { ($0.text, ($0, -1)) }), entity: entity)
                writes.append(try TagEvents.changed(TagChange(entity, now: [], added: [], removed: current)))
            }
            try await store.batch(writes)
        }
    }

    /// Forgets everything of a purged project.
    func dropProject(_ projectID: String) async throws {
        try await lock.withLock {
            let filter: JSONValue = ["projectId": .string(projectID)]
            try await store.batch([
                .delete("tags", filter: filter), .delete("tag_counts", filter: filter),
                .delete("entity_views", filter: filter),
            ])
        }
    }

    /// Applies count changes: a counter made at its first use, removed when it reaches 0.
    private func counterWrites(_ changes: [String: (Tag, Int)], entity: EntityRef) async throws -> [WriteOperation] {
        var writes: [WriteOperation] = []
        for (tag, delta) in changes.values where delta != 0 {
            let id = TagCounter.id(projectID: entity.projectID, kind: entity.kind, tag: tag)
            let count = try await store.get(id, from: "tag_counts")?.decoded(as: TagCounter.self).count
            switch (count, (count ?? 0) + Int64(delta)) {
            case (nil, let total) where total > 0:
                let counter = TagCounter(
                    id: id, projectId: entity.projectID, kind: entity.kind, key: tag.key, value: tag.value,
                    tag: tag.text, count: total)
                writes.append(.insert(try JSONValue(encoding: counter), into: "tag_counts"))
            case (.some, let total) where total > 0:
                writes.append(
                    .update(
                        "tag_counts", filter: ["id": .string(id)], update: ["$inc": ["count": .int(Int64(delta))]],
                        many: false))
            case (.some, _):
                writes.append(.delete("tag_counts", filter: ["id": .string(id)]))
            default:
                break
            }
        }
        return writes
    }
}
