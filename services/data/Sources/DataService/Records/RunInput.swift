import Platform
import Store

/// That a run read a finalized dataset version (`run_inputs`, id `<runId>:<versionId>`, so
/// naming the same input twice finds the first record).
struct RunInput: StoredRecord, Equatable {
    let id: String
    let runId: String
    let experimentId: String
    let projectId: String
    let datasetId: String
    let datasetVersionId: String
    let addedAt: String

    /// As clients see it: without the internal id and the run's experiment.
    func view() throws -> JSONValue {
        var view = try document()
        view["id"] = nil
        view["experimentId"] = nil
        return view
    }
}

extension RunInput {
    init(_ version: DatasetVersion, readBy run: Run, at now: String = Timestamp.now) {
        self.init(
            id: "\(run.id):\(version.id)", runId: run.id, experimentId: run.experimentId, projectId: run.projectId,
            datasetId: version.datasetId, datasetVersionId: version.id, addedAt: now
        )
    }
}
