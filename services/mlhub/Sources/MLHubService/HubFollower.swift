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
            EventConsumer(group: "mlhub.data", topic: Topics.data, bus: bus, store: registry.store, logger: logger) {
                try await data($0.event)
            },
            EventConsumer(
                group: "mlhub.compute", topic: Topics.compute, bus: bus, store: registry.store, logger: logger
            ) { try await compute($0.event) },
            EventConsumer(group: "mlhub.tags", topic: Topics.tags, bus: bus, store: registry.store, logger: logger) {
                try await tags($0.event)
            },
            EventConsumer(group: "mlhub.ingest", topic: Topics.ingest, bus: bus, store: registry.store, logger: logger)
            { try await ingest($0.event) },
        ]
    }

    func data(_ event: CloudEvent) async throws -> [WriteOperation] {
        switch event.type {
        case "mlex.data.project.deleted":
            guard let project = event.data["projectId"]?.stringValue else { return [] }
            for model in try await registry.models(in: project) {
                try await registry.deleteModel(model)
            }
            return []
        case "mlex.data.run.deleted":
            return [.delete("run_views", filter: ["id": .string(event.subject)])]
        case let type where type.hasPrefix("mlex.data.run."):
            let run = event.data
            var view: JSONValue = ["id": .string(event.subject)]
            for key in ["projectId", "experimentId", "name", "status", "source", "startTime", "endTime"] {
                if let value = run[key] { view[key] = value }
            }
            let writes: [WriteOperation] = [
                .delete("run_views", filter: ["id": .string(event.subject)]), .insert(view, into: "run_views"),
            ]
            if type == "mlex.data.run.finished", run["status"] == "finished",
                let name = run["tags"]?[Self.registerTag]?.stringValue
            {
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
            logger.warning(
                "run \(runID) asks to register an invalid model name; skipped", metadata: ["model": "\(name)"])
            return
        }
        let actor = run["createdBy"]?.stringValue ?? run["user"]?.stringValue ?? "mlhub"
        let model = try await findOrCreateModel(ModelCreation(name: name), in: project, owner: actor)
        let existing = try await registry.store.count(
            "model_versions", filter: ["modelId": .string(model.id), "source.runId": .string(runID)])
        guard existing == 0 else { return }
        var draft = VersionDraft()
        let jobID = run["source"]?["jobId"]?.stringValue
        draft.source.runId = runID
        draft.source.jobId = jobID
        draft.source.gitCommit = run["source"]?["gitCommit"]?.stringValue
        if let job = try await jobID.asyncMap({ try await registry.store.get($0, from: "job_views") }) ?? nil {
            if let inputs = job["inputs"]?.arrayValue?.compactMap(\.stringValue), !inputs.isEmpty {
                draft.source.datasetVersionIds = inputs
            }
            draft.source.image = job["image"]?.stringValue
        }
        draft.metrics = (run["metrics"]?.objectValue ?? [:]).filter { $0.value.numberValue?.isFinite == true }
        draft.files = VersionFiles(runId: runID, prefix: jobID == nil ? "" : "outputs/")
        draft.description = "registered from run \(run["name"]?.stringValue ?? runID)"
        _ = try await registry.createVersion(of: model.id, draft, actor: actor)
    }

    /// An accepted model package becomes the next version of its model (made if missing, with
    /// the card's description, task, framework, license, authors and visibility), once per
    /// ingestion; the card says how to deploy it. Ingest checked the card's fields.
    func ingest(_ event: CloudEvent) async throws -> [WriteOperation] {
        guard event.type == "mlex.ingest.model.ingested", let project = event.data["projectId"]?.stringValue,
            let card = event.data["card"], let name = card["name"]?.stringValue
        else { return [] }
        let actor = event.data["submittedBy"]?.stringValue ?? "mlhub"
        let creation = ModelCreation(
            name: name, description: card["description"]?.stringValue, task: card["task"]?.stringValue,
            framework: card["framework"]?.stringValue,
            license: card["license"]?.stringValue, authors: card["authors"]?.arrayValue?.compactMap(\.stringValue),
            public: Self.flag(card["public"])
        )
        let model = try await findOrCreateModel(creation, in: project, owner: actor)
        guard
            try await registry.store.count(
                "model_versions", filter: ["modelId": .string(model.id), "source.ingestionId": .string(event.subject)])
                == 0
        else { return [] }
        var draft = VersionDraft()
        draft.label = card["version"]?.stringValue
        draft.description = card["description"]?.stringValue
        draft.metrics = card["metrics"]?.objectValue ?? [:]
        draft.source = VersionSource(image: card["image"]?.stringValue, ingestionId: event.subject)
        draft.files = VersionFiles(projectId: project, prefix: event.data["filesPrefix"]?.stringValue ?? "")
        draft.deploy = DeployInstructions(
            codePackage: event.data["packagePath"]?.stringValue,
            command: card["command"]?.arrayValue?.compactMap(\.stringValue),
            image: card["image"]?.stringValue, template: card["template"]?.stringValue, parameters: card["parameters"],
            resources: card["resources"]?.objectValue, inputs: card["inputs"]?.stringValue,
            outputs: card["outputs"]?.stringValue
        )
        draft.deploy?.inputSchema = card["inputSchema"]
        _ = try await registry.createVersion(of: model.id, draft, actor: actor)
        return []
    }

    private static func flag(_ value: JSONValue?) -> Bool? {
        guard case .bool(let flag) = value else { return nil }
        return flag
    }

    func findOrCreateModel(_ creation: ModelCreation, in project: String, owner: String) async throws -> Model {
        if let found = try await registry.model(named: creation.name, in: project) { return found }
        do {
            return try await registry.createModel(creation, in: project, owner: owner)
        } catch let error as APIError where error.code == "model_exists" {
            guard let found = try await registry.model(named: creation.name, in: project) else { throw error }
            return found
        }
    }

    func compute(_ event: CloudEvent) async throws -> [WriteOperation] {
        guard event.type.hasPrefix("mlex.compute.job."), let project = event.data["projectId"] else { return [] }
        let spec = event.data["spec"] ?? [:]
        var view: JSONValue = ["id": .string(event.subject), "projectId": project]
        for key in ["runId", "name", "state"] { if let value = event.data[key] { view[key] = value } }
        for key in ["inputs", "codePackage", "image", "modelVersionId"] {
            if let value = spec[key] { view[key] = value }
        }
        var writes: [WriteOperation] = [
            .delete("job_views", filter: ["id": .string(event.subject)]), .insert(view, into: "job_views"),
        ]
        // A deploy counts once per job, when it is queued (a rerun is a new job and counts
        // again); the `deploys` record makes a replayed event count nothing.
        if event.type == "mlex.compute.job.queued", let versionID = spec["modelVersionId"]?.stringValue,
            let version = try await registry.version(id: versionID),
            try await registry.store.get(event.subject, from: "deploys") == nil,
            try await submitterMayRead(version, job: event.data)
        {
            let deploy = DeployRecord(
                id: event.subject, versionId: versionID, modelId: version.modelId, at: Timestamp.format(event.time))
            writes += [
                .insert(try JSONValue(encoding: deploy), into: "deploys"),
                .update(
                    "model_versions", filter: ["id": .string(versionID)], update: ["$inc": ["deployCount": 1]],
                    many: false),
                .update(
                    "models", filter: ["id": .string(version.modelId)], update: ["$inc": ["deployCount": 1]],
                    many: false),
            ]
        }
        return writes
    }

    /// Anyone may name any version id in a job they submit to compute; only a job whose
    /// submitter can read the version counts as its deploy, so a private model's popularity is
    /// neither inflated nor probed by outsiders. The event carries the submitter, not their
    /// teams: a reader through a team only counts when the job runs in the model's project.
    func submitterMayRead(_ version: ModelVersion, job: JSONValue) async throws -> Bool {
        guard let model = try await registry.model(id: version.modelId) else { return false }
        if model.public || job["projectId"]?.stringValue == model.projectId { return true }
        guard let owner = job["owner"]?.stringValue else { return false }
        return try await authorizer.role(
            of: Principal(id: owner, kind: .user, credential: .accessToken), on: model.projectId) != nil
    }

    func tags(_ event: CloudEvent) async throws -> [WriteOperation] {
        guard event.type == "mlex.tags.tag.changed",
            let tags = event.data["tags"]?.arrayValue?.compactMap(\.stringValue)
        else { return [] }
        try await registry.applyTags(kind: event.data["kind"]?.stringValue ?? "", entityID: event.subject, tags: tags)
        return []
    }
}
