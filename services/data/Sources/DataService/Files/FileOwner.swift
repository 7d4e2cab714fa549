import Platform

/// What holds files: a run (its artifacts and outputs), a project (code packages uploaded
/// before a run exists) or a dataset version. Every file document carries the ids of what
/// contains its owner, so purging any of them finds its files with one filter.
struct FileOwner: Sendable {
    /// `runs/<id>` or `projects/<id>`: the files collection's key with the path.
    let key: String
    let fields: [String: JSONValue]

    /// The fields naming what contains an owner, copied into each document it holds.
    static let containerFields: Set<String> = ["projectId", "experimentId", "runId", "datasetId", "datasetVersionId"]

    /// The owner recorded in a document that holds its key (`owner`) and container fields,
    /// such as a resumable upload.
    static func recorded(in document: JSONValue) -> FileOwner {
        FileOwner(key: document["owner"]?.stringValue ?? "", fields: (document.objectValue ?? [:]).filter { containerFields.contains($0.key) })
    }

    static func run(_ run: JSONValue) -> FileOwner {
        FileOwner(key: "runs/\(run["id"]!.stringValue!)", fields: ["projectId": run["projectId"]!, "experimentId": run["experimentId"]!, "runId": run["id"]!])
    }

    static func datasetVersion(_ version: JSONValue) -> FileOwner {
        FileOwner(key: "dataset-versions/\(version["id"]!.stringValue!)", fields: ["projectId": version["projectId"]!, "datasetId": version["datasetId"]!, "datasetVersionId": version["id"]!])
    }

    static func project(_ project: JSONValue) -> FileOwner {
        FileOwner(key: "projects/\(project["id"]!.stringValue!)", fields: ["projectId": project["id"]!])
    }
}
