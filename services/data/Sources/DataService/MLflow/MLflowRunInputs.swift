import Foundation
import Platform
import Store

/// What MLflow's client says a run read and wrote (`mlflow_run_io`): dataset inputs (name,
/// digest, source, schema, profile as the client gave them, with their input tags such as
/// `mlflow.data.context`), logged-model inputs and logged-model outputs. MLflow's datasets are
/// not our dataset versions, so they are recorded as given rather than linked. One document per
/// distinct input (id `<runId>:<kind>:<identity hash>`), so logging the same dataset twice keeps
/// one, as MLflow does. Shown in MLflow's run JSON and at `GET /v1/runs/{id}/mlflow-io`.
struct MLflowRunInputs: Sendable {
    static let collection = "mlflow_run_io"
    /// A dataset's schema and profile are JSON text the client computed; beyond this it is not metadata.
    static let maxDatasetText = 1_000_000

    enum Kind: String {
        case dataset
        case modelInput = "model_input"
        case modelOutput = "model_output"
    }

    let store: any DocumentStore

    /// Records `entries` (kind, identity, the MLflow message) for `run`; ones already recorded are kept as they are.
    func record(_ entries: [(kind: Kind, identity: String, message: JSONValue)], for run: Run) async throws {
        guard !entries.isEmpty else { return }
        var documents: [String: JSONValue] = [:]
        let now = Timestamp.now
        for entry in entries {
            let id = "\(run.id):\(entry.kind.rawValue):\(Self.hash(entry.identity))"
            documents[id] = [
                "id": .string(id), "runId": .string(run.id), "experimentId": .string(run.experimentId),
                "projectId": .string(run.projectId), "kind": .string(entry.kind.rawValue), "mlflow": entry.message,
                "addedAt": .string(now),
            ]
        }
        let existing = try await store.find(
            Self.collection, Query(filter: ["id": ["$in": .array(documents.keys.map(JSONValue.string))]]))
        for document in existing { documents[document["id"]?.stringValue ?? ""] = nil }
        guard !documents.isEmpty else { return }
        do {
            try await store.batch(
                documents.keys.sorted().compactMap { id in documents[id].map { .insert($0, into: Self.collection) } })
        } catch let error as StoreError where error.code == .duplicate {
            // Another request recorded the same input meanwhile: it is recorded.
        }
    }

    /// Everything recorded for the run, in the order it was added.
    func entries(of runID: String) async throws -> [JSONValue] {
        try await store.find(
            Self.collection, Query(filter: ["runId": .string(runID)], sort: [.ascending("addedAt"), .ascending("id")]))
    }

    /// MLflow's `RunInputs` (`dataset_inputs`, `model_inputs`) and `RunOutputs` (`model_outputs`) of the run.
    func views(of runID: String) async throws -> (inputs: JSONValue, outputs: JSONValue) {
        let all = try await entries(of: runID)
        func messages(_ kind: Kind) -> JSONValue {
            .array(all.filter { $0["kind"] == .string(kind.rawValue) }.compactMap { $0["mlflow"] })
        }
        return (
            ["dataset_inputs": messages(.dataset), "model_inputs": messages(.modelInput)],
            ["model_outputs": messages(.modelOutput)]
        )
    }

    /// FNV-1a, 64 bits, in hex: a short stable id part for an identity of any length.
    static func hash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16).leftPadded(to: 16)
    }
}

/// MLflow's `DatasetInput` and `ModelInput`/`ModelOutput` messages, checked and keyed.
enum MLflowRunIO {
    static let modelHistoryTag = "mlflow.log-model.history"

    static func datasetInputs(
        _ messages: [[String: JSONValue]]
    ) throws -> [(kind: MLflowRunInputs.Kind, identity: String, message: JSONValue)] {
        try messages.enumerated().map { index, input in
            let place = "datasets.\(index)"
            guard let dataset = input["dataset"]?.objectValue else {
                throw APIError.invalidField("\(place).dataset", "a dataset input has a dataset")
            }
            guard let name = dataset["name"]?.stringValue, !name.isEmpty else {
                throw APIError.invalidField("\(place).dataset.name", "a dataset has a name")
            }
            guard let digest = dataset["digest"]?.stringValue, !digest.isEmpty else {
                throw APIError.invalidField("\(place).dataset.digest", "a dataset has a digest")
            }
            var kept: [String: JSONValue] = ["name": .string(name), "digest": .string(digest)]
            for member in ["source_type", "source", "schema", "profile"] {
                guard let value = dataset[member], value != .null else { continue }
                guard let text = value.stringValue, text.count <= MLflowRunInputs.maxDatasetText else {
                    throw APIError.invalidField(
                        "\(place).dataset.\(member)",
                        "\(member) is text of at most \(MLflowRunInputs.maxDatasetText) characters")
                }
                kept[member] = .string(text)
            }
            let tags = try MLflowTags.pairs(
                try MLflowMessage(fields: input).messages("tags"), field: "\(place).tags",
                maxValue: RunFieldRules.maxTagLength)
            let message: JSONValue = [
                "dataset": .object(kept),
                "tags": .array(tags.map { ["key": .string($0.key), "value": .string($0.value)] }),
            ]
            return (.dataset, "\(name)\u{0}\(digest)", message)
        }
    }

    static func models(
        _ messages: [[String: JSONValue]], kind: MLflowRunInputs.Kind, field: String
    ) throws -> [(kind: MLflowRunInputs.Kind, identity: String, message: JSONValue)] {
        try messages.enumerated().map { index, model in
            guard let id = model["model_id"]?.stringValue, !id.isEmpty, id.count <= 200 else {
                throw APIError.invalidField(
                    "\(field).\(index).model_id", "missing value for required parameter 'model_id'")
            }
            var message: JSONValue = ["model_id": .string(id)]
            if kind == .modelOutput {
                let step = try MLflowMessage.int64(model["step"], field: "\(field).\(index).step") ?? 0
                message["step"] = .int(step)
                return (kind, "\(id)\u{0}\(step)", message)
            }
            return (kind, id, message)
        }
    }
}
