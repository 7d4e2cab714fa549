import Platform
import Store

/// A version's lineage from what the bus told the hub: its source run (`run_views`, from
/// `mlex.data`), the job that made it (`job_views`, from `mlex.compute`), the dataset versions
/// they read, the code commit (the run's, or the job's `code/<commit>.tar` package) and image.
struct Lineage {
    let store: any DocumentStore

    /// `canRead` answers for a project id: a run or job of a project the reader cannot read is
    /// left out with what it would bring (versions created before lineage was checked may name one).
    func of(_ version: ModelVersion, canRead: (String) async throws -> Bool) async throws -> JSONValue {
        let source = version.source
        var answer: [String: JSONValue] = ["modelId": .string(version.modelId), "version": .int(version.number)]
        var datasets = (source.datasetVersionIds ?? []).map(JSONValue.string)
        var jobID = source.jobId
        var commit = source.gitCommit
        var image = source.image
        // A link whose view has not arrived yet shows its id alone, as before it is known.
        if let runID = source.runId, let run = try await visible(runID, in: "run_views", canRead) {
            answer["run"] = run
            jobID = jobID ?? run["source"]?["jobId"]?.stringValue
            commit = commit ?? run["source"]?["gitCommit"]?.stringValue
        }
        if let jobID, let job = try await visible(jobID, in: "job_views", canRead) {
            answer["job"] = job
            datasets += job["inputs"]?.arrayValue ?? []
            image = image ?? job["image"]?.stringValue
            commit = commit ?? job["codePackage"]?.stringValue.flatMap(Self.commit(ofPackage:))
        }
        var seen = Set<JSONValue>()
        answer["datasetVersions"] = .array(datasets.filter { seen.insert($0).inserted })
        if let commit { answer["codeCommit"] = .string(commit) }
        if let image { answer["image"] = .string(image) }
        return .object(answer)
    }

    /// The view of `id`, `{id}` alone when none has arrived, nil when it is of a project the
    /// reader cannot read.
    private func visible(
        _ id: String, in collection: String, _ canRead: (String) async throws -> Bool
    ) async throws -> JSONValue? {
        guard let view = try await store.get(id, from: collection) else { return ["id": .string(id)] }
        return try await canRead(view["projectId"]?.stringValue ?? "") ? view : nil
    }

    /// `code/<40 hex>.tar[.gz]`, as `mlex submit` names a `git archive` of a commit.
    static func commit(ofPackage path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let stem = name.replacingOccurrences(of: ".tar.gz", with: "").replacingOccurrences(of: ".tar", with: "")
        return stem.count == 40 && stem.allSatisfy(\.isHexDigit) ? stem : nil
    }
}
