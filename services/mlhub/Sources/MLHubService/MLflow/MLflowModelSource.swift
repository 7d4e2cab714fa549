import DataClient
import Foundation
import Platform

/// Where the files of a version MLflow's client registers are, from the `source` it sends:
/// `runs:/<runId>/<path>`, `mlflow-artifacts:/<experimentId>/<runId>/artifacts/<path>` (what
/// `register_model` sends for a run's model: the run's artifact URI, docs/mlflow.md) or
/// `models:/<modelId>` (an MLflow 3 logged model, whose artifacts data keeps as its source
/// run's files under `models/<modelId>/`). Our version takes that run as its source and its
/// files under that path.
struct MLflowModelSource: Sendable, Equatable {
    var runID: String
    /// The path of the model's files among the run's files ("" for all of them).
    var path: String
    var loggedModelID: String?

    /// The files of a version registered from `source`, asked of data as the caller (`token`) when
    /// it names a logged model. 400 naming `source` (or `run_id`) when they cannot be told.
    static func resolve(
        source: String, runID: String?, modelID: String?, projectID: String, data: DataClient, token: String
    ) async throws -> MLflowModelSource {
        var found: MLflowModelSource
        if let modelID = modelID ?? loggedModelID(in: source) {
            found = try await loggedModel(modelID, projectID: projectID, data: data, token: token)
        } else if let parsed = parse(source) {
            found = parsed
        } else {
            throw APIError.invalidField(
                "source",
                "source is runs:/<run_id>/<path>, mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/<path> or models:/<model_id> (got \(source))"
            )
        }
        if let runID, runID != found.runID {
            throw APIError.invalidField("run_id", "run_id \(runID) is not the run of source \(source)")
        }
        return found
    }

    /// The run and path of a `runs:/` or `mlflow-artifacts:` URI (with or without a host).
    static func parse(_ uri: String) -> MLflowModelSource? {
        if uri.hasPrefix("runs:/") {
            let segments = uri.dropFirst("runs:/".count).split(separator: "/", omittingEmptySubsequences: true)
            guard let run = segments.first, ID.isValid(String(run)) else { return nil }
            return MLflowModelSource(runID: String(run), path: segments.dropFirst().joined(separator: "/"))
        }
        guard uri.hasPrefix("mlflow-artifacts:") else { return nil }
        var rest = uri.dropFirst("mlflow-artifacts:".count)
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            rest = rest.drop { $0 != "/" }
        }
        let segments = rest.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard segments.count >= 3, ID.isValid(segments[1]), segments[2] == "artifacts" else { return nil }
        return MLflowModelSource(runID: segments[1], path: segments.dropFirst(3).joined(separator: "/"))
    }

    /// The files prefix of `path`: a folder, so `model` does not also take `model2/`.
    var prefix: String { path.isEmpty || path.hasSuffix("/") ? path : path + "/" }

    private static func loggedModelID(in source: String) -> String? {
        guard source.hasPrefix("models:/") else { return nil }
        let id = source.dropFirst("models:/".count)
        return id.isEmpty || id.contains("/") ? nil : String(id)
    }

    /// A logged model as data's MLflow API shows it to the caller: its source run and
    /// artifact location.
    private static func loggedModel(
        _ modelID: String, projectID: String, data: DataClient, token: String
    ) async throws -> MLflowModelSource {
        let answer: JSONValue
        do {
            answer = try await data.acting { token }.peer.call(
                .GET, "/mlflow/\(projectID)/api/2.0/mlflow/logged-models/\(PeerClient.escape(path: modelID))")
        } catch let error as PeerError where error.status == 404 || error.status == 400 {
            throw APIError.notFound("Logged model with ID '\(modelID)' not found.")
        } catch let error as PeerError {
            throw error.apiError
        }
        let info = answer["model"]?["info"] ?? .null
        let location = info["artifact_uri"]?.stringValue ?? info["artifact_location"]?.stringValue ?? ""
        if var parsed = parse(location) {
            parsed.loggedModelID = modelID
            return parsed
        }
        guard let runID = info["source_run_id"]?.stringValue, ID.isValid(runID) else {
            throw APIError.invalidField("model_id", "the logged model \(modelID) has no run whose files hold it")
        }
        return MLflowModelSource(runID: runID, path: "models/\(modelID)", loggedModelID: modelID)
    }
}
