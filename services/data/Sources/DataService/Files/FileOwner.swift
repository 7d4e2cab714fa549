import Platform

/// What holds files: a run (its artifacts and outputs), a project (code packages uploaded
/// before a run exists) or a dataset version. Every document it holds carries the ids of what
/// contains it (`FileContainers`), so purging any of them finds its files with one filter.
struct FileOwner: Sendable {
    /// `runs/<id>`, `projects/<id>` or `dataset-versions/<id>`: the files collection's key with the path.
    let key: String
    let containers: FileContainers

    static func run(_ run: Run) -> FileOwner {
        FileOwner(
            key: "runs/\(run.id)",
            containers: FileContainers(projectId: run.projectId, experimentId: run.experimentId, runId: run.id))
    }

    static func datasetVersion(_ version: DatasetVersion) -> FileOwner {
        FileOwner(
            key: "dataset-versions/\(version.id)",
            containers: FileContainers(
                projectId: version.projectId, datasetId: version.datasetId, datasetVersionId: version.id)
        )
    }

    static func project(_ project: Project) -> FileOwner {
        FileOwner(key: "projects/\(project.id)", containers: FileContainers(projectId: project.id))
    }

    /// The owner an upload was started for.
    static func recorded(in upload: Upload) -> FileOwner {
        FileOwner(key: upload.owner, containers: upload.containers)
    }
}
