import Auth
import Blobs
import Foundation
import Hummingbird
import Platform
import Store

/// Everything the data routes share, built once by `buildApplication`.
struct DataCore: Sendable {
    let store: any DocumentStore
    let projects: ProjectDirectory
    let experiments: ExperimentDirectory
    let runs: RunDirectory
    let logs: RunLogs
    let metrics: MetricSeriesStore
    let ledger: BlobLedger
    let files: FileDirectory
    let uploads: UploadDirectory
    let datasets: DatasetDirectory
    let authorizer: Authorizer
    let storage: StorageQuotas

    init(store: any DocumentStore, blobs: any BlobStore) {
        self.store = store
        ledger = BlobLedger(store: store, blobs: blobs)
        files = FileDirectory(store: store, ledger: ledger)
        uploads = UploadDirectory(store: store, ledger: ledger)
        projects = ProjectDirectory(store: store, ledger: ledger)
        experiments = ExperimentDirectory(store: store, ledger: ledger)
        runs = RunDirectory(store: store, ledger: ledger)
        logs = RunLogs(store: store)
        datasets = DatasetDirectory(store: store, ledger: ledger)
        metrics = MetricSeriesStore(store: store)
        authorizer = Authorizer(memberships: projects)
        storage = StorageQuotas(store: store, blobs: blobs)
    }

    /// The project when the caller holds at least `needed` on it: 404 for outsiders (and for
    /// no such project), 403 for a role too low, 409 when it is in the trash and `trashed` is
    /// not allowed. What is in the trash can be read (viewers) but not changed, except by the
    /// operations that restore or purge it.
    func project(
        _ id: String, _ context: AuthRequestContext, needs needed: ProjectRole, trashed allowed: Bool? = nil
    ) async throws -> (project: Project, role: ProjectRole) {
        let principal = try context.requirePrincipal()
        let role = try await authorizer.require(needed, on: id, for: principal)
        guard let project = try await projects.project(id: id) else { throw APIError.notFound("no project \(id)") }
        if !(allowed ?? (needed == .viewer)), project.lifecycle == .trashed {
            throw APIError.conflict("project \(id) is in the trash; restore it first", code: "project_trashed")
        }
        return (project, role)
    }

    /// The experiment of the path, after checking the caller's role on its project.
    func experiment(
        _ id: String, _ context: AuthRequestContext, needs needed: ProjectRole, trashed allowed: Bool? = nil
    ) async throws -> Experiment {
        try await inProject(
            try await experiments.experiment(id: id), "experiment", id, context, needs: needed, trashed: allowed)
    }

    /// The run of the path, after checking the caller's role on its project.
    func run(
        _ id: String, _ context: AuthRequestContext, needs needed: ProjectRole, trashed allowed: Bool? = nil
    ) async throws -> Run {
        try await inProject(try await runs.run(id: id), "run", id, context, needs: needed, trashed: allowed)
    }

    /// The dataset of the path, after checking the caller's role on its project.
    func dataset(
        _ id: String, _ context: AuthRequestContext, needs needed: ProjectRole, trashed allowed: Bool? = nil
    ) async throws -> Dataset {
        try await inProject(try await datasets.dataset(id: id), "dataset", id, context, needs: needed, trashed: allowed)
    }

    /// The dataset version of the path, after checking the caller's role on its project.
    func datasetVersion(
        _ id: String, _ context: AuthRequestContext, needs needed: ProjectRole, trashed allowed: Bool? = nil
    ) async throws -> DatasetVersion {
        try await inProject(
            try await datasets.version(id: id), "dataset_version", id, context, needs: needed, trashed: allowed)
    }

    /// `record` when the caller may act on its project as `needed`, with the trash rule of
    /// `project(_:_:needs:trashed:)` applied to the record itself.
    private func inProject<Record: TrashableRecord>(
        _ record: Record?, _ entity: String, _ id: String, _ context: AuthRequestContext, needs needed: ProjectRole,
        trashed allowed: Bool?
    ) async throws -> Record {
        guard let record else { throw APIError.notFound("no \(entity) \(id)") }
        _ = try await project(record.projectId, context, needs: needed)
        if !(allowed ?? (needed == .viewer)), record.lifecycle == .trashed {
            throw APIError.conflict("\(entity) \(id) is in the trash; restore it first", code: "\(entity)_trashed")
        }
        return record
    }
}

extension OperationDoc {
    /// `?purge=true` on a DELETE: remove for good what is in the trash.
    static let purgeParameter = QueryParameter(
        "purge", Schema.boolean, "true: delete for good what is already in the trash (default: move to the trash)")
    /// What deletes answer: the bytes of files they freed (0 for a move to the trash).
    static let freedBytes = Schema.object(["freedBytes": Schema.integer], required: ["freedBytes"])
}

extension Request {
    var wantsPurge: Bool { uri.queryParameters.get("purge") == "true" }
}
