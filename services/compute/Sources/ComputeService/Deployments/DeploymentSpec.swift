import Foundation
import ParameterSchema
import Platform

/// The body of `POST /v1/deployments`: what each replica runs (the fields of a job's spec, as a
/// hub version's deploy instructions give them), how many replicas answer behind the one
/// endpoint, when they scale to zero, and the schema invocations are checked against.
struct DeploymentSpec: Codable, Sendable, Equatable {
    var projectId: String
    var name: String?
    var image: String?
    var template: String?
    var command: [String]?
    var codePackage: String?
    var inputs: [String]?
    var env: [String: String]?
    var params: [String: JSONValue]?
    var resources: ResourceRequest?
    var queue: String?
    var priority: Int?
    /// The hub's model version it serves: mlhub counts the deployment as one deploy.
    var modelVersionId: String?
    /// Replicas answering at once, 1 to `maxReplicas`. Default 1.
    var replicas: Int?
    /// Seconds without a request after which every replica stops (scale to zero); the next
    /// request starts them again and waits for one to answer. Nil: never.
    var idleSeconds: Int?
    /// A parameter schema (the hub card's subset: object properties with types, ranges, enums,
    /// required) each record of a `POST …/invocations` body must meet.
    var inputSchema: JSONValue?

    static let maxReplicas = 16
    static let maxIdleSeconds = 30 * 86400
    var effectiveReplicas: Int { replicas ?? 1 }

    /// The job each replica is: serving HTTP on its socket, for as long as a job may run, retried
    /// on its node's loss like any job. `first` carries the hub's model version, so a deployment
    /// counts once however many replicas it starts and restarts.
    func replica(_ index: Int, of deploymentID: String, first: Bool) -> JobSpec {
        JobSpec(
            projectId: projectId, name: "\(name ?? "deployment-\(deploymentID.suffix(8))") replica \(index)",
            image: image, template: template, command: command, codePackage: codePackage, inputs: inputs,
            env: env, params: params, resources: resources, timeoutSeconds: JobSpec.maxTimeoutSeconds,
            priority: priority, queue: queue, workers: 1, retries: 3, registerModel: nil,
            modelVersionId: first ? modelVersionId : nil, endpoint: JobSpec.Endpoint(kind: "http"))
    }

    /// What the platform tells each replica beside the spec's `env`.
    static func replicaEnvironment(_ index: Int, of deploymentID: String) -> [String: String] {
        ["MLEX_DEPLOYMENT_ID": deploymentID, "MLEX_REPLICA": String(index)]
    }

    /// Every rule, as a job's spec has them (the same field names), and the deployment's own;
    /// 400 naming the first bad field.
    func validate() throws -> ParameterSchema? {
        try replica(0, of: ID.make(), first: true).validate()
        let check = FieldRules.check
        if let replicas {
            try check((1...Self.maxReplicas).contains(replicas), "replicas", "replicas is 1 to \(Self.maxReplicas)")
        }
        if let idleSeconds {
            try check(
                (1...Self.maxIdleSeconds).contains(idleSeconds), "idleSeconds",
                "idleSeconds is 1 to \(Self.maxIdleSeconds) (leave it out never to scale to zero)")
        }
        return try parsedInputSchema()
    }

    /// The input schema, read; 400 naming its first problem.
    func parsedInputSchema() throws -> ParameterSchema? {
        guard let inputSchema else { return nil }
        switch ParameterSchema.parse(inputSchema, field: "inputSchema") {
        case .success(let schema): return schema
        case .failure(let problems):
            let first = problems.list.first
            throw APIError.invalidField(first?.field ?? "inputSchema", first?.message ?? "not a parameter schema")
        }
    }
}
