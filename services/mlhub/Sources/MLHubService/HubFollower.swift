import Auth
import Bus
import Logging
import Outbox
import Platform
import Store

/// What the hub learns from the bus (not by asking other services what an event carries):
/// runs and jobs for lineage, a finished run tagged `mlex.registerModel` as a new version
/// (compute tags a job's run so from its spec's `registerModel`), deploys for popularity
/// (jobs naming a `modelVersionId`), the tag service's tags for search, and purged projects.
/// Every handler is idempotent: a replay from offset 0 changes nothing.
struct HubFollower {
    let registry: ModelRegistry
    let authorizer: Authorizer
    let logger: Logger

    static let registerTag = "mlex.registerModel"

    func consumers(bus: any Bus) -> [EventConsumer] {
        [
            EventConsumer(group: "mlhub.data", topic: Topics.data, bus: bus, store: registry.store, logger: logger) { try await data($0.event) },
            EventConsumer(group: "mlhub.compute", topic: Topics.compute, bus: bus, store: registry.store, logger: logger) { try await compute($0.event) },
            EventConsumer(group: "mlhub.tags", topic: Topics.tags, bus: bus, store: registry.store, logger: logger) { try await tags($0.event) },
            EventConsumer(group: "mlhub.ingest", topic: Topics.ingest, bus: bus, store: registry.store, logger: logger) { try await ingest($0.event) },
        ]
    }

    func data(_ event: CloudEvent) async throws -> [WriteOperation] {
        switch event.type {
        case "mlex.data.project.deleted":
            guard let project = event.data["projectId"]?.stringValue else { return [] }
            for model in try await registry.store.find("models", Query(filter: ["projectId": .string(project)])) {
                try await registry.deleteModel(model)
            }
            return []
        case "mlex.data.run.deleted":
            return [.delete("run_views", filter: ["id": .string(event.subject)])]
        case let type where type.hasPrefix("mlex.data.run."):
            let run = event.data
            var view: JSONValue = ["id": .string(event.subject)]
            for key in ["projectId", "experimentId", "name", "status", "source", "startTime", "endTime"] { if let value = run[key] { view[key] = value } }
            let writes: [WriteOperation] = [.delete("run_views", filter: ["id": .string(event.subject)]), .insert(view, into: "run_views")]
            if type == "mlex.data.run.finished", run["status"] == "finished", let name = run["tags"]?[Self.registerTag]?.stringValue {
                try await registerVersion(from: run, model: name)
            }
            return writes
        default:
            return []
        }
    }

    /// A finished run that asked to be registered becomes the next version of the named model
    /// of its project (made if missing), once: a version already made from this run is kept.
    func registerVersion(from run: JSONValue, model name: String) async throws {
        guard let runID = run["id"]?.stringValue, let project = run["projectId"]?.stringValue else { return }
        guard let name = try? ModelFields.name(name) else {
            logger.warning("run \(runID) asks to register an invalid model name; skipped", metadata: ["model": "\(name)"])
            return
        }
        let actor = run["createdBy"]?.stringValue ?? run["user"]?.stringValue ?? "mlhub"
        let model = try await findOrCreateModel(name, in: project, fields: ["name": .string(name)], owner: actor)
        let existing = try await registry.store.count("model_versions", filter: ["modelId": model["id"]!, "source.runId": .string(runID)])
        guard existing == 0 else { return }
        var input = ModelRegistry.VersionInput()
        let jobID = run["source"]?["jobId"]?.stringValue
        input.source["runId"] = .string(runID)
        if let jobID { input.source["jobId"] = .string(jobID) }
        if let commit = run["source"]?["gitCommit"]?.stringValue { input.source["gitCommit"] = .string(commit) }
        if let job = try await jobID.asyncMap({ try await registry.store.get($0, from: "job_views") }) ?? nil {
            if let inputs = job["inputs"], inputs.arrayValue?.isEmpty == false { input.source["datasetVersionIds"] = inputs }
            if let image = job["image"] { input.source["image"] = image }
        }
        input.metrics = (run["metrics"]?.objectValue ?? [:]).filter { $0.value.numberValue?.isFinite == true }
        input.files = ["runId": .string(runID), "prefix": .string(jobID == nil ? "" : "outputs/")]
        input.description = "registered from run \(run["name"]?.stringValue ?? runID)"
        _ = try await registry.createVersion(of: model["id"]!.stringValue!, input, actor: actor)
    }

    /// An accepted model package becomes the next version of its model (made if missing, with
    /// the card's description, task, framework, license, authors and visibility), once per
    /// ingestion; the card says how to deploy it.
    func ingest(_ event: CloudEvent) async throws -> [WriteOperation] {
        guard event.type == "mlex.ingest.model.ingested", let project = event.data["projectId"]?.stringValue,
              let card = event.data["card"], let name = card["name"]?.stringValue else { return [] }
        let actor = event.data["submittedBy"]?.stringValue ?? "mlhub"
        let fields = ["description", "task", "framework", "license", "authors", "public"].reduce(into: ["name": JSONValue.string(name)]) { fields, key in
            if let value = card[key] { fields[key] = value }
        }
        let model = try await findOrCreateModel(name, in: project, fields: fields, owner: actor)
        guard try await registry.store.count("model_versions", filter: ["modelId": model["id"]!, "source.ingestionId": .string(event.subject)]) == 0 else { return [] }
        var input = ModelRegistry.VersionInput()
        input.label = card["version"]?.stringValue
        input.description = card["description"]?.stringValue
        input.metrics = card["metrics"]?.objectValue ?? [:]
        input.source = ["ingestionId": .string(event.subject)]
        if let image = card["image"] { input.source["image"] = image }
        input.files = ["projectId": .string(project), "prefix": event.data["filesPrefix"] ?? ""]
        var deploy: [String: JSONValue] = ["codePackage": event.data["packagePath"] ?? .null]
        for key in ["command", "image", "template", "parameters", "resources", "inputs", "outputs"] { if let value = card[key] { deploy[key] = value } }
        input.deploy = deploy
        _ = try await registry.createVersion(of: model["id"]!.stringValue!, input, actor: actor)
        return []
    }

    func findOrCreateModel(_ name: String, in project: String, fields: [String: JSONValue], owner: String) async throws -> JSONValue {
        if let found = try await registry.model(named: name, in: project) { return found }
        do {
            return try await registry.createModel(projectID: project, fields: fields, owner: owner)
        } catch let error as APIError where error.code == "model_exists" {
            guard let found = try await registry.model(named: name, in: project) else { throw error }
            return found
        }
    }

    func compute(_ event: CloudEvent) async throws -> [WriteOperation] {
        guard event.type.hasPrefix("mlex.compute.job."), let project = event.data["projectId"] else { return [] }
        let spec = event.data["spec"] ?? [:]
        var view: JSONValue = ["id": .string(event.subject), "projectId": project]
        for key in ["runId", "name", "state"] { if let value = event.data[key] { view[key] = value } }
        for key in ["inputs", "codePackage", "image", "modelVersionId"] { if let value = spec[key] { view[key] = value } }
        var writes: [WriteOperation] = [.delete("job_views", filter: ["id": .string(event.subject)]), .insert(view, into: "job_views")]
        // A deploy counts once per job, when it is queued (a rerun is a new job and counts
        // again); the `deploys` record makes a replayed event count nothing.
        if event.type == "mlex.compute.job.queued", let versionID = spec["modelVersionId"]?.stringValue,
           let version = try await registry.store.get(versionID, from: "model_versions"),
           try await registry.store.get(event.subject, from: "deploys") == nil,
           try await submitterMayRead(version, job: event.data) {
            writes += [
                .insert(["id": .string(event.subject), "versionId": .string(versionID), "modelId": version["modelId"]!, "at": .string(Timestamp.format(event.time))], into: "deploys"),
                .update("model_versions", filter: ["id": .string(versionID)], update: ["$inc": ["deployCount": 1]], many: false),
                .update("models", filter: ["id": version["modelId"]!], update: ["$inc": ["deployCount": 1]], many: false),
            ]
        }
        return writes
    }

    /// Anyone may name any version id in a job they submit to compute; only a job whose
    /// submitter can read the version counts as its deploy, so a private model's popularity is
    /// neither inflated nor probed by outsiders. The event carries the submitter, not their
    /// teams: a reader through a team only counts when the job runs in the model's project.
    func submitterMayRead(_ version: JSONValue, job: JSONValue) async throws -> Bool {
        guard let modelID = version["modelId"]?.stringValue, let model = try await registry.model(id: modelID),
              let project = model["projectId"]?.stringValue else { return false }
        if model["public"] == true || job["projectId"]?.stringValue == project { return true }
        guard let owner = job["owner"]?.stringValue else { return false }
        return try await authorizer.role(of: Principal(id: owner, kind: .user, credential: .accessToken), on: project) != nil
    }

    func tags(_ event: CloudEvent) async throws -> [WriteOperation] {
        guard event.type == "mlex.tags.tag.changed", let tags = event.data["tags"] else { return [] }
        try await registry.applyTags(kind: event.data["kind"]?.stringValue ?? "", entityID: event.subject, tags: tags)
        return []
    }
}
