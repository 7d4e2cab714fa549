import Platform
import Store

/// Deleting for good (DESIGN.md §4: purges emit `….deleted` and reclaim what they held). Every
/// document under a run carries `projectId`, `experimentId` and `runId`, so one filter removes a
/// project's, an experiment's or a run's whole tree inside one batch with its event.
enum Purge {
    enum Scope {
        case project(String), experiment(String), run(String)

        var field: String {
            switch self {
            case .project: "projectId"
            case .experiment: "experimentId"
            case .run: "runId"
            }
        }

        var id: String {
            switch self {
            case .project(let id), .experiment(let id), .run(let id): id
            }
        }
    }

    /// Whatever a run, experiment or project holds besides its own documents (files are freed
    /// from the blob store by `BlobLedger` after the batch).
    static let runData = ["run_logs", "metric_series", "metric_chunks", "metric_tiers", "files", "uploads", "upload_parts"]

    /// The deletes for everything inside `scope` (not the scope's own document).
    static func operations(_ scope: Scope) -> [WriteOperation] {
        let filter: JSONValue = [scope.field: .string(scope.id)]
        var operations = runData.map { WriteOperation.delete($0, filter: filter) }
        switch scope {
        case .project(let id):
            operations += [
                .delete("runs", filter: filter), .delete("experiments", filter: filter),
                .delete("project_members", filter: filter), .delete("projects", filter: ["id": .string(id)]),
            ]
        case .experiment(let id):
            operations += [.delete("runs", filter: filter), .delete("experiments", filter: ["id": .string(id)])]
        case .run(let id):
            operations.append(.delete("runs", filter: ["id": .string(id)]))
        }
        return operations
    }
}
