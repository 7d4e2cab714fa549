import Platform
import Store

/// Deleting for good (docs/design.md §4: purges emit `….deleted` and reclaim what they held). Every
/// document inside a project carries the ids of what contains it (`projectId`, `experimentId`,
/// `runId`, `datasetId`, `datasetVersionId`), so one filter per collection removes a whole tree
/// inside one batch with its event; the blobs of removed files are freed after it (`BlobLedger`).
enum Purge {
    enum Scope {
        case project(String)
        case experiment(String)
        case run(String)
        case dataset(String)
        case datasetVersion(String)

        /// The field that names this scope in the documents it contains.
        var field: String {
            switch self {
            case .project: "projectId"
            case .experiment: "experimentId"
            case .run: "runId"
            case .dataset: "datasetId"
            case .datasetVersion: "datasetVersionId"
            }
        }

        var id: String {
            switch self {
            case .project(let id), .experiment(let id), .run(let id), .dataset(let id), .datasetVersion(let id): id
            }
        }

        /// The collection of the scope's own document.
        var collection: String {
            switch self {
            case .project: "projects"
            case .experiment: "experiments"
            case .run: "runs"
            case .dataset: "datasets"
            case .datasetVersion: "dataset_versions"
            }
        }

        /// The collections holding documents inside the scope.
        var contents: [String] {
            let files = ["files", "uploads", "upload_parts", "run_inputs", "mlflow_run_io"]
            let runData = ["run_logs", "run_log_sources", "metric_series", "metric_chunks", "metric_tiers"] + files
            switch self {
            case .project:
                return runData + [
                    "runs", "experiments", "project_members", "datasets", "dataset_versions", "mlflow_logged_models",
                ]
            case .experiment: return runData + ["runs", "mlflow_logged_models"]
            case .run: return runData
            case .dataset: return files + ["dataset_versions"]
            case .datasetVersion: return files
            }
        }
    }

    /// The deletes for the scope's document and everything inside it.
    static func operations(_ scope: Scope) -> [WriteOperation] {
        scope.contents.map { WriteOperation.delete($0, filter: [scope.field: .string(scope.id)]) }
            + [.delete(scope.collection, filter: ["id": .string(scope.id)])]
    }
}
