import Bus
import Outbox
import Platform
import Store

/// The data service's events on `mlex.data` (docs/design.md §4): type `mlex.data.<entity>.<verb>`,
/// subject the entity id, data a full snapshot with `projectId`. Written through the outbox in
/// the same batch as the change they announce.
enum DataEvents {
    static let topic = Topics.data

    static func write(_ verb: String, subject: String, _ data: JSONValue) -> WriteOperation {
        Outbox.write(
            CloudEvent(source: "/mlex/data", type: "mlex.data.\(verb)", subject: subject, data: data), to: topic)
    }
}
