import Platform

/// A model of a project, as the API and the `mlex.models.model.*` events show it and the store
/// keeps it (with `nameKey` beside, see `document()`). Its versions carry copies of the fields
/// search reads (`searchFields`).
struct Model: Codable, Sendable {
    let id: String
    let projectId: String
    var name: String
    var description: String?
    var task: String?
    var framework: String?
    var license: String?
    var authors: [String]
    var `public`: Bool
    /// Who made it: the user, or the submitter of the run or package it came from.
    let owner: String
    /// The tag service's tags of the model (`key` or `key:value`).
    var tags: [String]
    /// MLflow's key-value tags of the registered model (docs/mlflow.md); absent until one is set.
    var mlflowTags: KeyValueTags?
    var latestVersion: Int64
    var deployCount: Int64
    let createdAt: String
    var updatedAt: String
}

extension Model {
    /// A model made now from `creation`: no versions, tags or deploys yet, private unless asked.
    init(_ creation: ModelCreation, projectID: String, owner: String, at now: String) {
        self.init(
            id: ID.make(), projectId: projectID, name: creation.name, description: creation.description,
            task: creation.task,
            framework: creation.framework, license: creation.license, authors: creation.authors ?? [],
            public: creation.public ?? false,
            owner: owner, tags: [], latestVersion: 0, deployCount: 0, createdAt: now, updatedAt: now
        )
    }

    /// The store's document: the record and `nameKey`, the lowercased name that the unique
    /// index on (projectId, nameKey) holds, so names are unique per project case-insensitively.
    func document() throws -> JSONValue {
        var document = try JSONValue(encoding: self)
        document["nameKey"] = .string(Self.nameKey(name))
        return document
    }

    static func nameKey(_ name: String) -> String { name.lowercased() }

    /// What each of its versions keeps of it.
    var searchFields: ModelSearchFields {
        ModelSearchFields(
            name: name, task: task, framework: framework, license: license, authors: authors, public: `public`,
            owner: owner, description: description, tags: tags
        )
    }

    func applying(_ change: ModelChange, at now: String) -> Model {
        var model = self
        if let description = change.description { model.description = description }
        if let task = change.task { model.task = task }
        if let framework = change.framework { model.framework = framework }
        if let license = change.license { model.license = license }
        if let authors = change.authors { model.authors = authors }
        if let isPublic = change.public { model.public = isPublic }
        model.updatedAt = now
        return model
    }
}

/// A new model: from a client (`POST /v1/projects/{id}/models`, checked as it is decoded), from
/// a run that asks to be registered, or from an ingested card (both checked before they get here).
struct ModelCreation: Sendable {
    var name: String
    var description: String?
    var task: String?
    var framework: String?
    var license: String?
    var authors: [String]?
    var `public`: Bool?
}

extension ModelCreation: Decodable {
    init(from decoder: any Decoder) throws {
        let body = try ModelBody(from: decoder)
        let name = try ModelFields.name(body.name)
        try body.checkDescriptiveFields()
        self.init(
            name: name, description: body.description, task: body.task, framework: body.framework,
            license: body.license,
            authors: body.authors, public: body.public
        )
    }
}

/// A change to a model (`PATCH /v1/models/{id}`): only the fields given change. Encoded, it is
/// the `$set` of the change and the `to` of its `model.updated` audit entry.
struct ModelChange: Encodable, Sendable {
    var description: String?
    var task: String?
    var framework: String?
    var license: String?
    var authors: [String]?
    var `public`: Bool?

    var isEmpty: Bool {
        description == nil && task == nil && framework == nil && license == nil && authors == nil && `public` == nil
    }
}

extension ModelChange: Decodable {
    init(from decoder: any Decoder) throws {
        let body = try ModelBody(from: decoder)
        if body.name != nil {
            throw APIError.invalidField("name", "a model keeps its name; create another model instead")
        }
        try body.checkDescriptiveFields()
        self.init(
            description: body.description, task: body.task, framework: body.framework, license: body.license,
            authors: body.authors, public: body.public)
    }
}

/// What a client sends to create or change a model, before it is checked.
private struct ModelBody: Decodable {
    let name: String?
    let description: String?
    let task: String?
    let framework: String?
    let license: String?
    let authors: [String]?
    let `public`: Bool?

    /// Everything but the name, in the order a 400 names the first fault.
    func checkDescriptiveFields() throws {
        _ = try ModelFields.text(description, field: "description", max: 10_000)
        _ = try ModelFields.text(task, field: "task", max: 100)
        _ = try ModelFields.text(framework, field: "framework", max: 100)
        _ = try ModelFields.text(license, field: "license", max: 100)
        _ = try ModelFields.authors(authors)
    }
}

/// MLflow's key-value tags of a model or version, stored as `[{key, value}]` ordered by key:
/// keys such as `mlflow.source.name` hold dots, which MongoDB does not take in field names.
struct KeyValueTags: Codable, Sendable, Equatable {
    private struct Pair: Codable {
        let key: String
        let value: String
    }

    var values: [String: String]

    init(_ values: [String: String] = [:]) {
        self.values = values
    }

    subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    init(from decoder: any Decoder) throws {
        values = Dictionary(try [Pair](from: decoder).map { ($0.key, $0.value) }) { $1 }
    }

    func encode(to encoder: any Encoder) throws {
        try values.sorted { $0.key < $1.key }.map { Pair(key: $0.key, value: $0.value) }.encode(to: encoder)
    }
}
