import Platform

/// What holds files: a run (its artifacts and outputs) or a project (code packages uploaded
/// before a run exists, shared inputs). Every file document carries the owner's project,
/// experiment and run ids, so purging any of them finds its files with one filter.
struct FileOwner: Sendable {
    /// `runs/<id>` or `projects/<id>`: the files collection's key with the path.
    let key: String
    let fields: [String: JSONValue]

    static func run(_ run: JSONValue) -> FileOwner {
        FileOwner(key: "runs/\(run["id"]!.stringValue!)", fields: ["projectId": run["projectId"]!, "experimentId": run["experimentId"]!, "runId": run["id"]!])
    }

    static func project(_ project: JSONValue) -> FileOwner {
        FileOwner(key: "projects/\(project["id"]!.stringValue!)", fields: ["projectId": project["id"]!])
    }
}
