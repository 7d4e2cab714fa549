import Platform

/// How a version runs as a job, from its ingested card: a command (run in the unpacked code
/// package), an image or a template, the typed parameter schema, resources, and what it reads
/// and writes.
struct DeployInstructions: Sendable, Equatable {
    /// The package the job runs (`models/<ingestion>.tar` of the model's project); kept as null
    /// when the ingestion named none.
    var codePackage: String?
    var command: [String]?
    var image: String?
    var template: String?
    /// The card's parameter schema (ParameterSchema's JSON), checked again at each deploy.
    var parameters: JSONValue?
    /// The card's schema of a served model's invocation records (ParameterSchema's JSON): a
    /// deployment checks each `POST …/invocations` against it.
    var inputSchema: JSONValue? = nil
    var resources: [String: JSONValue]?
    var inputs: String?
    var outputs: String?

    /// Whether there is anything to run: a version without is not deployable.
    var isRunnable: Bool { command != nil || image != nil || template != nil }
}

extension DeployInstructions: Codable {
    private enum CodingKeys: String, CodingKey {
        case codePackage, command, image, template, parameters, inputSchema, resources, inputs, outputs
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(codePackage, forKey: .codePackage)
        try container.encodeIfPresent(command, forKey: .command)
        try container.encodeIfPresent(image, forKey: .image)
        try container.encodeIfPresent(template, forKey: .template)
        try container.encodeIfPresent(parameters, forKey: .parameters)
        try container.encodeIfPresent(inputSchema, forKey: .inputSchema)
        try container.encodeIfPresent(resources, forKey: .resources)
        try container.encodeIfPresent(inputs, forKey: .inputs)
        try container.encodeIfPresent(outputs, forKey: .outputs)
    }
}

/// `POST /v1/models/{id}/versions/{version}/deploy`: where the job runs (default the model's
/// project) and what it is given. Parameters are checked against the version's schema by the route.
struct DeployRequest: Sendable {
    let projectId: String?
    let parameters: [String: JSONValue]
    let resources: [String: JSONValue]
    let timeoutSeconds: Int?
    let name: String?
    /// Serve the version (a compute deployment) instead of running it once as a job.
    let service: Service?

    struct Service: Codable, Sendable {
        var replicas: Int?
        var idleSeconds: Int?
    }
}

extension DeployRequest: Decodable {
    private struct Body: Decodable {
        let projectId: String?
        let parameters: [String: JSONValue]?
        let resources: [String: JSONValue]?
        let timeoutSeconds: Int?
        let name: String?
        let service: Service?
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        self.init(
            projectId: try ModelFields.id(body.projectId, field: "projectId"), parameters: body.parameters ?? [:],
            resources: body.resources ?? [:], timeoutSeconds: body.timeoutSeconds, name: body.name,
            service: body.service
        )
    }
}

/// The job a deploy submits to compute (`POST /v1/jobs`), or with the deployment fields the
/// deployment (`POST /v1/deployments`). `modelVersionId` is how the hub counts the deploy when
/// compute announces the job (a deployment's first replica carries it).
struct JobSubmission: Encodable, Sendable {
    let projectId: String
    let modelVersionId: String
    let name: String
    /// The checked parameters, defaults filled in: the job's MLEX_PARAMS.
    let params: [String: JSONValue]
    var command: [String]?
    var image: String?
    var template: String?
    var codePackage: String?
    var resources: [String: JSONValue]?
    var timeoutSeconds: Int?
    var replicas: Int? = nil
    var idleSeconds: Int? = nil
    var inputSchema: JSONValue? = nil
}

/// One counted deploy (`deploys`, id the job's): a replayed `job.queued` finds it and counts nothing.
struct DeployRecord: Codable, Sendable {
    let id: String
    let versionId: String
    let modelId: String
    let at: String
}
