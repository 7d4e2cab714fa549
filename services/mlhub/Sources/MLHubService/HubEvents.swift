import Bus
import Outbox
import Platform
import Store

/// The hub's events on `mlex.models`: `mlex.models.model.<verb>` (subject the model id) and
/// `mlex.models.model.version.<verb>` (subject the version id), data the record as the API
/// shows it (with `projectId`).
enum HubEvents {
    static func model(_ verb: String, _ model: Model) throws -> WriteOperation {
        write("model.\(verb)", subject: model.id, try JSONValue(encoding: model))
    }

    static func version(_ verb: String, _ version: ModelVersion) throws -> WriteOperation {
        write("model.version.\(verb)", subject: version.id, try JSONValue(encoding: version))
    }

    /// For a version already encoded (the document just stored, or read to be deleted), so it
    /// is not decoded or encoded again.
    static func version(_ verb: String, document: JSONValue) -> WriteOperation {
        write("model.version.\(verb)", subject: document["id"]?.stringValue ?? "", document)
    }

    private static func write(_ type: String, subject: String, _ data: JSONValue) -> WriteOperation {
        Outbox.write(
            CloudEvent(source: "/mlex/mlhub", type: "mlex.models.\(type)", subject: subject, data: data),
            to: Topics.models)
    }
}
