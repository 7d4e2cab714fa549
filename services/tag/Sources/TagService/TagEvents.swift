import Bus
import Outbox
import Platform
import Store

/// The tag service's events on `mlex.tags`: `mlex.tags.tag.changed`, subject the entity id,
/// data a `TagChange`.
enum TagEvents {
    static func changed(_ change: TagChange) throws -> WriteOperation {
        Outbox.write(
            CloudEvent(
                source: "/mlex/tag", type: "mlex.tags.tag.changed", subject: change.entityId,
                data: try JSONValue(encoding: change)), to: Topics.tags)
    }
}
