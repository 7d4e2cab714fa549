import Bus
import Outbox
import Platform
import Store

/// The tag service's events on `mlex.tags`: `mlex.tags.tag.changed`, subject the entity id,
/// data the entity (kind, id, project), its tags now, and what was added and removed.
enum TagEvents {
    static func changed(kind: EntityKind, entityID: String, projectID: String, now: [Tag], added: [Tag], removed: [Tag]) -> WriteOperation {
        Outbox.write(CloudEvent(source: "/mlex/tag", type: "mlex.tags.tag.changed", subject: entityID, data: [
            "kind": .string(kind.rawValue), "entityId": .string(entityID), "projectId": .string(projectID),
            "tags": .array(now.map { .string($0.text) }.sorted { $0.stringValue! < $1.stringValue! }),
            "added": .array(added.map { .string($0.text) }), "removed": .array(removed.map { .string($0.text) }),
        ]), to: Topics.tags)
    }
}
