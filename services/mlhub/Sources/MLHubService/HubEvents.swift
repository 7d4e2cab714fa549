import Bus
import Outbox
import Platform
import Store

/// The hub's events on `mlex.models`: `mlex.models.model.<verb>` (subject the model id) and
/// `mlex.models.model.version.<verb>` (subject the version id), data a snapshot with `projectId`.
enum HubEvents {
    static func model(_ verb: String, _ model: JSONValue) -> WriteOperation {
        write("model.\(verb)", subject: model["id"]?.stringValue ?? "", ModelRegistry.view(model))
    }

    static func version(_ verb: String, _ version: JSONValue) -> WriteOperation {
        write("model.version.\(verb)", subject: version["id"]?.stringValue ?? "", ModelRegistry.view(version))
    }

    private static func write(_ type: String, subject: String, _ data: JSONValue) -> WriteOperation {
        Outbox.write(CloudEvent(source: "/mlex/mlhub", type: "mlex.models.\(type)", subject: subject, data: data), to: Topics.models)
    }
}
