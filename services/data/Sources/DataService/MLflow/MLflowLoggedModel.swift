import Foundation
import Platform
import Store

/// An MLflow 3 logged model (`mlflow_logged_models`): what `mlflow.<flavor>.log_model` creates
/// before it uploads the model's files, then marks READY. Its id is MLflow's `m-<32 hex>`.
/// Tags and params are kept as key/value lists, since MLflow's keys hold dots (`mlflow.source.name`).
struct MLflowLoggedModel: StoredRecord, Equatable {
    static let collection = "mlflow_logged_models"

    struct Entry: Codable, Sendable, Equatable {
        let key: String
        var value: String
    }

    enum Status: String, Codable, Sendable, CaseIterable {
        case pending = "LOGGED_MODEL_PENDING"
        case ready = "LOGGED_MODEL_READY"
        case uploadFailed = "LOGGED_MODEL_UPLOAD_FAILED"

        /// MLflow's enum by name or by number (protobuf's JSON allows both).
        init?(mlflow value: JSONValue?) {
            switch value {
            case .string(let name)?: self.init(rawValue: name)
            case let number? where number.intValue != nil:
                switch number.intValue {
                case 1: self = .pending
                case 2: self = .ready
                case 3: self = .uploadFailed
                default: return nil
                }
            default: return nil
            }
        }
    }

    let id: String
    let projectId: String
    let experimentId: String
    var name: String
    var modelType: String?
    /// Not `runId`: purging the run must not take the model's record with it.
    var sourceRunId: String?
    var status: Status
    var statusMessage: String?
    var tags: [Entry]
    var params: [Entry]
    let createdBy: String
    let createdAt: String
    let creationTimestampMs: Int64
    var lastUpdatedTimestampMs: Int64
    /// MLflow deletes logged models softly: `get` still finds them with `allow_deleted`.
    var deleted: Bool

    /// `m-` and 32 hex digits, as MLflow's own server makes them.
    static func makeID() -> String {
        "m-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    static func isID(_ text: String) -> Bool {
        text.hasPrefix("m-") && text.count == 34 && text.dropFirst(2).allSatisfy(\.isHexDigit)
    }

    /// Where the model's files are: with a source run, the run's files under `models/<id>/`
    /// (so our UI shows them among the run's); without one, see `MLflowArtifactLocation`.
    var artifactLocation: String {
        if let sourceRunId { return "mlflow-artifacts:/\(experimentId)/\(sourceRunId)/artifacts/models/\(id)" }
        return "mlflow-artifacts:/\(experimentId)/models/\(id)/artifacts"
    }

    /// Sets `entries` on `list`, replacing the values of keys already there.
    static func merged(_ list: [Entry], with entries: [Entry]) -> [Entry] {
        var result = list
        for entry in entries {
            if let index = result.firstIndex(where: { $0.key == entry.key }) {
                result[index].value = entry.value
            } else {
                result.append(entry)
            }
        }
        return result
    }

    /// MLflow's `LoggedModel` message in protobuf's JSON mapping (int64 as numbers, which its
    /// client parses either way).
    func mlflowJSON() -> JSONValue {
        var info: [String: JSONValue] = [
            "model_id": .string(id), "experiment_id": .string(experimentId), "name": .string(name),
            "creation_timestamp_ms": .int(creationTimestampMs),
            "last_updated_timestamp_ms": .int(lastUpdatedTimestampMs),
            "artifact_uri": .string(artifactLocation), "status": .string(status.rawValue),
            "tags": .array(tags.map { ["key": .string($0.key), "value": .string($0.value)] }),
        ]
        if let modelType { info["model_type"] = .string(modelType) }
        if let sourceRunId { info["source_run_id"] = .string(sourceRunId) }
        if let statusMessage { info["status_message"] = .string(statusMessage) }
        let data: JSONValue = [
            "params": .array(params.map { ["key": .string($0.key), "value": .string($0.value)] })
        ]
        return ["info": .object(info), "data": data]
    }
}
