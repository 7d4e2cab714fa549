import Platform

/// A numbered version of a model, as the API and `mlex.models.model.version.*` events show it
/// and the store keeps it: its lineage, metrics, stage, aliases, where its files are and how to
/// deploy it, with copies of its model's fields (`model`) so one indexed collection answers
/// search, facets and leaderboards. Coded in ModelVersion+Coding.swift.
struct ModelVersion: Sendable {
    let id: String
    let modelId: String
    let projectId: String
    let number: Int64
    /// The author's own version string (a card's `1.2.0`).
    var label: String?
    var description: String?
    var stage: Stage
    /// Names that resolve to this version (`champion`); each is held by one version of a model.
    var aliases: [String]
    var source: VersionSource
    /// Finite numbers by key.
    var metrics: [String: JSONValue]
    var files: VersionFiles?
    var deploy: DeployInstructions?
    /// The tag service's tags of the version itself.
    var versionTags: [String]
    /// MLflow's key-value tags of the version (docs/mlflow.md); absent until one is set.
    var mlflowTags: KeyValueTags?
    var deployCount: Int64
    let createdAt: String
    var updatedAt: String
    let createdBy: String
    var model: ModelSearchFields

    /// Its model's tags and its own, each once: what search and the tag facet read.
    var tags: [String] {
        var seen = Set<String>()
        return (model.tags + versionTags).filter { seen.insert($0).inserted }
    }
}

extension ModelVersion {
    /// Version `number` of `model`, made now by `actor` from `draft`: stage none, no aliases.
    init(_ draft: VersionDraft, of model: Model, number: Int64, by actor: String, at now: String) {
        self.init(
            id: ID.make(), modelId: model.id, projectId: model.projectId, number: number, label: draft.label,
            description: draft.description,
            stage: .none, aliases: [], source: draft.source, metrics: draft.metrics, files: draft.files,
            deploy: draft.deploy,
            versionTags: [], mlflowTags: draft.mlflowTags, deployCount: 0, createdAt: now, updatedAt: now,
            createdBy: actor, model: model.searchFields
        )
    }
}

/// The model's fields each of its versions keeps (keys `name`, `task`, …, `modelDescription`,
/// `modelTags`). A field the model lacks is kept as null, as versions always have.
struct ModelSearchFields: Sendable, Equatable {
    var name: String
    var task: String?
    var framework: String?
    var license: String?
    var authors: [String]
    var `public`: Bool
    var owner: String
    var description: String?
    var tags: [String]
}

/// Where a version came from; only the links known are present.
struct VersionSource: Codable, Sendable, Equatable {
    var runId: String?
    var jobId: String?
    var datasetVersionIds: [String]?
    var image: String?
    var gitCommit: String?
    /// The ingestion of the model package the version was made from.
    var ingestionId: String?
    /// The model URI MLflow's client registered it from (`runs:/…`, `mlflow-artifacts:/…`,
    /// `models:/<id>`), and the MLflow 3 logged model it names.
    var mlflowURI: String?
    var loggedModelId: String?
}

/// Where a version's files are: under `prefix` of a run's files (registered from a run or job)
/// or of its project's (an ingested package).
struct VersionFiles: Codable, Sendable, Equatable {
    var runId: String?
    var projectId: String?
    var prefix: String
}

/// What a new version is given besides its number: from a client (`VersionCreation`, its links
/// checked), a finished run, or an ingested card.
struct VersionDraft: Sendable {
    var label: String?
    var description: String?
    var source = VersionSource()
    var metrics: [String: JSONValue] = [:]
    var files: VersionFiles?
    var deploy: DeployInstructions?
    var mlflowTags: KeyValueTags?
}

/// `POST /v1/models/{id}/versions`, its fields checked as it is decoded. Whether the caller can
/// read the runs, job and dataset versions it names is checked by the route, which asks.
struct VersionCreation: Sendable {
    /// The files asked for: a run's, under a prefix (by default its outputs when a job made it).
    struct Files: Decodable, Sendable {
        let runId: String
        let prefix: String?
    }

    var label: String?
    var description: String?
    var metrics: [String: JSONValue]
    var source: VersionSource
    var files: Files?
}

extension VersionCreation: Decodable {
    private struct Body: Decodable {
        struct Source: Decodable {
            let runId: String?
            let jobId: String?
            let datasetVersionIds: [String]?
            let image: String?
            let gitCommit: String?
        }

        let label: String?
        let description: String?
        let metrics: [String: JSONValue]?
        let source: Source?
        let files: Files?
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        label = try ModelFields.text(body.label, field: "label", max: 100)
        description = try ModelFields.text(body.description, field: "description", max: 10_000)
        metrics = try ModelFields.metrics(body.metrics)
        source = VersionSource()
        if let given = body.source {
            source.runId = try ModelFields.id(given.runId, field: "source.runId")
            source.jobId = try ModelFields.id(given.jobId, field: "source.jobId")
            source.datasetVersionIds = try given.datasetVersionIds.map { ids in
                try ids.enumerated().map { index, id in
                    try ModelFields.id(id, field: "source.datasetVersionIds.\(index)")
                }
            }
            source.image = try ModelFields.text(given.image, field: "source.image", max: 500)
            source.gitCommit = try ModelFields.text(given.gitCommit, field: "source.gitCommit", max: 64)
        }
        files = body.files
        if let files {
            _ = try ModelFields.id(files.runId, field: "files.runId")
            if let prefix = files.prefix { try Self.checkPrefix(prefix) }
        }
    }

    /// A prefix is a relative path: the hub lists the run's files under it with its own token.
    static func checkPrefix(_ prefix: String) throws {
        guard prefix.count <= 1024, !prefix.hasPrefix("/"), !prefix.split(separator: "/").contains("..") else {
            throw APIError.invalidField("files.prefix", "a prefix is a relative path")
        }
    }
}
