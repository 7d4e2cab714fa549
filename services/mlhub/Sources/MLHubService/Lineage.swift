import Platform
import Store

/// A version's lineage from what the bus told the hub: its source run (`run_views`, from
/// `mlex.data`), the job that made it (`job_views`, from `mlex.compute`), the dataset versions
/// they read, the code commit (the run's, or the job's `code/<commit>.tar` package) and image.
struct Lineage {
    let store: any DocumentStore

    func of(_ version: JSONValue) async throws -> JSONValue {
        let source = version["source"] ?? [:]
        var answer: [String: JSONValue] = ["modelId": version["modelId"] ?? .null, "version": version["number"] ?? .null]
        var datasets = source["datasetVersionIds"]?.arrayValue ?? []
        var jobID = source["jobId"]?.stringValue
        var commit = source["gitCommit"]?.stringValue
        var image = source["image"]?.stringValue
        if let runID = source["runId"]?.stringValue {
            let run = try await store.get(runID, from: "run_views")
            answer["run"] = run ?? ["id": .string(runID)]
            jobID = jobID ?? run?["source"]?["jobId"]?.stringValue
            commit = commit ?? run?["source"]?["gitCommit"]?.stringValue
        }
        if let jobID {
            let job = try await store.get(jobID, from: "job_views")
            answer["job"] = job ?? ["id": .string(jobID)]
            datasets += job?["inputs"]?.arrayValue ?? []
            image = image ?? job?["image"]?.stringValue
            commit = commit ?? job?["codePackage"]?.stringValue.flatMap(Self.commit(ofPackage:))
        }
        var seen = Set<JSONValue>()
        answer["datasetVersions"] = .array(datasets.filter { seen.insert($0).inserted })
        if let commit { answer["codeCommit"] = .string(commit) }
        if let image { answer["image"] = .string(image) }
        return .object(answer)
    }

    /// `code/<40 hex>.tar[.gz]`, as `mlex submit` names a `git archive` of a commit.
    static func commit(ofPackage path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let stem = name.replacingOccurrences(of: ".tar.gz", with: "").replacingOccurrences(of: ".tar", with: "")
        return stem.count == 40 && stem.allSatisfy(\.isHexDigit) ? stem : nil
    }
}
