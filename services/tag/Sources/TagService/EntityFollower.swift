import Bus
import Logging
import Outbox
import Platform
import Store

/// What the tag service learns from the other services' topics: each taggable entity and its
/// project as it is announced (so tagging checks the entity's project, not what a client
/// claims), and each purge, which drops the entity's tags (`….deleted`; `….trashed` keeps
/// them, as the entity can come back).
struct EntityFollower {
    let directory: TagDirectory

    static let topics = [Topics.data, Topics.compute, Topics.models]

    func consumers(bus: any Bus, logger: Logger) -> [EventConsumer] {
        Self.topics.map { topic in
            EventConsumer(
                group: "tag.entities.\(topic)", topic: topic, bus: bus, store: directory.store, logger: logger
            ) { delivery in
                try await handle(delivery.event)
            }
        }
    }

    /// The writes for one event; drops are done here under the directory's lock (they read the
    /// tags they remove), and are idempotent, so a redelivery changes nothing.
    func handle(_ event: CloudEvent) async throws -> [WriteOperation] {
        guard let (kind, verb) = EntityKind.of(eventType: event.type),
            let projectID = event.data["projectId"]?.stringValue
        else { return [] }
        let entity = EntityRef(kind: kind, id: kind == .project ? projectID : event.subject, projectID: projectID)
        guard verb == "deleted" else { return try TagDirectory.remember(entity) }
        if kind == .project {
            try await directory.dropProject(projectID)
        } else {
            try await directory.drop(entity)
        }
        return []
    }
}
