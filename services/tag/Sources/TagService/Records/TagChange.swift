import Platform

/// `mlex.tags.tag.changed` (subject the entity id): the entity, its tags now (sorted), and what
/// was added and removed.
struct TagChange: Encodable, Sendable {
    let kind: EntityKind
    let entityId: String
    let projectId: String
    let tags: [String]
    let added: [String]
    let removed: [String]

    init(_ entity: EntityRef, now: [Tag], added: [Tag], removed: [Tag]) {
        kind = entity.kind
        entityId = entity.id
        projectId = entity.projectID
        tags = now.map(\.text).sorted()
        self.added = added.map(\.text)
        self.removed = removed.map(\.text)
    }
}
