import Platform

/// A tag on an entity (`tags`, one per entity and key), as the store keeps it. Its id is the
/// store's key (and the `/tagged` page cursor); the API shows `entityTag`.
struct TagAssignment: Codable, Sendable {
    let id: String
    let kind: EntityKind
    let entityId: String
    let projectId: String
    let key: String
    var value: String?
    /// `key` or `key:value`.
    let tag: String
    let createdBy: String
    let createdAt: String

    var parsed: Tag { Tag(key: key, value: value) }

    var entityTag: EntityTag {
        EntityTag(
            tag: tag, key: key, value: value, kind: kind, entityId: entityId, projectId: projectId,
            createdBy: createdBy, createdAt: createdAt)
    }
}

extension TagAssignment {
    /// `tag` put on `entity` now by `actor`.
    init(_ tag: Tag, on entity: EntityRef, by actor: String) {
        self.init(
            id: ID.make(), kind: entity.kind, entityId: entity.id, projectId: entity.projectID, key: tag.key,
            value: tag.value, tag: tag.text,
            createdBy: actor, createdAt: Timestamp.now
        )
    }
}

/// A tag an entity carries, as the API shows it.
struct EntityTag: Codable, Sendable {
    let tag: String
    let key: String
    let value: String?
    let kind: EntityKind
    let entityId: String
    let projectId: String
    let createdBy: String
    let createdAt: String
}

/// `POST /v1/entities/{kind}/{id}/tags`: 1 to `TagDirectory.maxTagsPerEntity` tags, each
/// checked (400 naming `tags.<index>`), no key twice (an entity holds one value per key).
struct TagAddition: Sendable {
    let tags: [Tag]
}

extension TagAddition: Decodable {
    private struct Body: Decodable {
        let tags: [String]
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        guard !body.tags.isEmpty, body.tags.count <= TagDirectory.maxTagsPerEntity else {
            throw APIError.invalidField("tags", "give 1 to \(TagDirectory.maxTagsPerEntity) tags")
        }
        let tags = try body.tags.enumerated().map { try Tag(parsing: $1, field: "tags.\($0)") }
        if let twice = Dictionary(grouping: tags.enumerated(), by: { $0.element.key }).first(where: {
            $0.value.count > 1
        }) {
            throw APIError.invalidField(
                "tags.\(twice.value[1].offset)", "key \(twice.key) is given twice; an entity holds one value per key")
        }
        self.init(tags: tags)
    }
}
