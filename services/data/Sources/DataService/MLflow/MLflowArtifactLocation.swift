import Auth
import Foundation
import Hummingbird
import Platform

/// What an MLflow artifact path names (docs/mlflow.md). MLflow's client addresses artifacts as
/// `<experimentId>/<runId>/artifacts/<path>` (a run's `mlflow-artifacts:/…` URI resolved against
/// the tracking URI): that is the run's own file at `<path>`, so `mlex` and the web UI show it.
/// A logged model without a source run lives at `<experimentId>/models/<modelId>/artifacts/<path>`:
/// its files are the project's files under `mlflow-models/<modelId>/`, as a run-less model has no
/// run to hold them.
struct MLflowArtifactLocation: Sendable {
    let owner: FileOwner
    /// The path inside the owner that the MLflow path names; empty for the root of the artifacts.
    let path: String

    /// Where a run-less logged model's files are kept in its project.
    static func modelFolder(_ modelID: String) -> String { "mlflow-models/\(modelID)" }

    /// The file (or folder) at `path` below this location.
    func appending(_ child: String) throws -> String {
        try FilePath.normalise(path.isEmpty ? child : "\(path)/\(child)")
    }

    /// The location of a catch-all route's path (still percent-encoded, as in the URL).
    static func resolve(
        segments: [Substring], _ core: DataCore, _ context: AuthRequestContext, needs needed: ProjectRole
    ) async throws -> MLflowArtifactLocation {
        let decoded = try segments.map { segment -> String in
            guard let text = segment.removingPercentEncoding else {
                throw APIError.invalidField("path", "the path is not valid percent-encoding")
            }
            return text
        }
        return try await resolve(decoded.joined(separator: "/"), core, context, needs: needed)
    }

    /// Resolves `text` after checking the caller holds `needed` on the project: an unknown
    /// experiment, run or model, or one the caller may not see, is `RESOURCE_DOES_NOT_EXIST`.
    static func resolve(
        _ text: String, _ core: DataCore, _ context: AuthRequestContext, needs needed: ProjectRole
    ) async throws -> MLflowArtifactLocation {
        let parts = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3 else { throw notFound }
        let experimentID = parts[0]
        if parts[1] == "models", parts.count >= 4, parts[3] == "artifacts" {
            let model = try await MLflowLoggedModelStore(store: core.store).model(id: parts[2])
            // "0" is MLflow's default experiment, which a client may still name.
            guard let model, model.experimentId == experimentID || experimentID == "0" else {
                throw APIError.notFound("no logged model \(parts[2]) in experiment \(experimentID)", field: "path")
            }
            let project = try await core.project(model.projectId, context, needs: needed).project
            let inner = try inside(parts.dropFirst(4))
            let folder = modelFolder(model.id)
            return MLflowArtifactLocation(owner: .project(project), path: inner.isEmpty ? folder : "\(folder)/\(inner)")
        }
        guard parts[2] == "artifacts", ID.isValid(parts[1]) else { throw notFound }
        let run = try await core.run(parts[1], context, needs: needed)
        guard run.experimentId == experimentID || experimentID == "0" else {
            throw APIError.notFound("no run \(run.id) in experiment \(experimentID)", field: "path")
        }
        return MLflowArtifactLocation(owner: .run(run), path: try inside(parts.dropFirst(3)))
    }

    private static let notFound = APIError.notFound(
        "an artifact path is <experimentId>/<runId>/artifacts/<path>", field: "path")

    /// The normalised path of the remaining segments; empty when there are none.
    private static func inside(_ segments: ArraySlice<String>) throws -> String {
        let rest = segments.filter { $0 != "." }
        return rest.isEmpty ? "" : try FilePath.normalise(rest.joined(separator: "/"))
    }
}
