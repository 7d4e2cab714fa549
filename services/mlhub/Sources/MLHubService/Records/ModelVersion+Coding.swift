import Platform

/// A version is one flat JSON object: its own fields, its model's copies and the union `tags`.
/// Written by hand because the copies share the version's object (no nesting) and keep their
/// nulls, so documents, answers and events stay what they were.
extension ModelVersion: Codable {
    enum CodingKeys: String, CodingKey {
        case id, modelId, projectId, number, label, description, stage, aliases, source, metrics, files, deploy
        case versionTags, mlflowTags, deployCount, createdAt, updatedAt, createdBy, tags
        // The model's copies (ModelSearchFields).
        case name, task, framework, license, authors, `public`, owner, modelDescription, modelTags
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        modelId = try container.decode(String.self, forKey: .modelId)
        projectId = try container.decode(String.self, forKey: .projectId)
        number = try container.decode(Int64.self, forKey: .number)
        label = try container.decodeIfPresent(String.self, forKey: .label)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        stage = try container.decode(Stage.self, forKey: .stage)
        aliases = try container.decode([String].self, forKey: .aliases)
        source = try container.decode(VersionSource.self, forKey: .source)
        metrics = try container.decode([String: JSONValue].self, forKey: .metrics)
        files = try container.decodeIfPresent(VersionFiles.self, forKey: .files)
        deploy = try container.decodeIfPresent(DeployInstructions.self, forKey: .deploy)
        versionTags = try container.decode([String].self, forKey: .versionTags)
        mlflowTags = try container.decodeIfPresent(KeyValueTags.self, forKey: .mlflowTags)
        deployCount = try container.decode(Int64.self, forKey: .deployCount)
        createdAt = try container.decode(String.self, forKey: .createdAt)
        updatedAt = try container.decode(String.self, forKey: .updatedAt)
        createdBy = try container.decode(String.self, forKey: .createdBy)
        model = try ModelSearchFields(from: container)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(modelId, forKey: .modelId)
        try container.encode(projectId, forKey: .projectId)
        try container.encode(number, forKey: .number)
        try container.encodeIfPresent(label, forKey: .label)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encode(stage, forKey: .stage)
        try container.encode(aliases, forKey: .aliases)
        try container.encode(source, forKey: .source)
        try container.encode(metrics, forKey: .metrics)
        try container.encodeIfPresent(files, forKey: .files)
        try container.encodeIfPresent(deploy, forKey: .deploy)
        try container.encode(versionTags, forKey: .versionTags)
        try container.encodeIfPresent(mlflowTags, forKey: .mlflowTags)
        try container.encode(deployCount, forKey: .deployCount)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(tags, forKey: .tags)
        try model.encode(into: &container)
    }
}

/// Encoded alone, the copies are the `$set` that brings a model's versions up to date.
extension ModelSearchFields: Encodable {
    init(from container: KeyedDecodingContainer<ModelVersion.CodingKeys>) throws {
        name = try container.decode(String.self, forKey: .name)
        task = try container.decodeIfPresent(String.self, forKey: .task)
        framework = try container.decodeIfPresent(String.self, forKey: .framework)
        license = try container.decodeIfPresent(String.self, forKey: .license)
        authors = try container.decode([String].self, forKey: .authors)
        `public` = try container.decode(Bool.self, forKey: .public)
        owner = try container.decode(String.self, forKey: .owner)
        description = try container.decodeIfPresent(String.self, forKey: .modelDescription)
        tags = try container.decode([String].self, forKey: .modelTags)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ModelVersion.CodingKeys.self)
        try encode(into: &container)
    }

    /// `encode` of an optional writes null where `encodeIfPresent` would leave the key out.
    func encode(into container: inout KeyedEncodingContainer<ModelVersion.CodingKeys>) throws {
        try container.encode(name, forKey: .name)
        try container.encode(task, forKey: .task)
        try container.encode(framework, forKey: .framework)
        try container.encode(license, forKey: .license)
        try container.encode(authors, forKey: .authors)
        try container.encode(`public`, forKey: .public)
        try container.encode(owner, forKey: .owner)
        try container.encode(description, forKey: .modelDescription)
        try container.encode(tags, forKey: .modelTags)
    }
}
