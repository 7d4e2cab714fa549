import Platform

/// An entity heard of on the bus (`entity_views`, id `<kind>:<id>`): what it is and its project,
/// so tagging checks the entity's project rather than what a client claims.
struct EntityView: Codable, Sendable {
    let id: String
    let kind: EntityKind
    let entityId: String
    let projectId: String

    init(_ entity: EntityRef) {
        id = Self.id(entity.kind, entity.id)
        kind = entity.kind
        entityId = entity.id
        projectId = entity.projectID
    }

    var entity: EntityRef { EntityRef(kind: kind, id: entityId, projectID: projectId) }

    static func id(_ kind: EntityKind, _ id: String) -> String { "\(kind.rawValue):\(id)" }
}
