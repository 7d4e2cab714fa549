import Auth
import DataClient
import Foundation
import HTTPTypes
import Hummingbird
import ParameterSchema
import Platform

/// Deploying a version: its card's command (with its image or template and code package) run
/// as a compute job with parameters checked against its schema, submitted with the caller's own
/// token so the job is the caller's. The job names the version (`modelVersionId`), which is how
/// the hub counts deploys from compute's events.
enum DeployRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: HubCore) {
        api.post(
            "/v1/models/{id}/versions/{version}/deploy",
            OperationDoc(
                "Run a version as a job in one of the caller's projects (`projectId`, editors; default the model's project): `parameters` are checked against the version's schema (400 naming `parameters.<name>`, defaults filled in) and reach the job as its params (MLEX_PARAMS); `resources` override the card's. A version of another project (a public model) has its package copied into the job's project first. Answers compute's job. With `service` ({replicas, idleSeconds}) the version is served instead: a compute deployment (docs/deployments.md) checking invocations against the card's inputSchema, answered as deploymentId and deployment",
                tags: ["deploy"],
                body: Schema.object([
                    "projectId": Schema.id, "parameters": Schema.anyObject, "resources": Schema.anyObject,
                    "timeoutSeconds": Schema.integer, "name": Schema.string,
                    "service": Schema.object(["replicas": Schema.integer, "idleSeconds": Schema.integer]),
                ]),
                status: 201,
                response: Schema.object([
                    "jobId": Schema.id, "job": Schema.anyObject, "deploymentId": Schema.id,
                    "deployment": Schema.anyObject,
                ])
            )
        ) { request, context in
            let (model, version) = try await core.version(context, needs: .viewer)
            let deploy = try await request.decodeJSON(as: DeployRequest.self, context: context)
            let target = deploy.projectId ?? model.projectId
            try await core.authorizer.require(.editor, on: target, for: try context.requirePrincipal())
            guard let instructions = version.deploy, instructions.isRunnable else {
                throw APIError.unprocessable(
                    "this version has no run instructions (command, image or template); only versions from ingested model packages can be deployed",
                    field: "version")
            }
            let submission = try jobSubmission(for: deploy, of: model, version, instructions, in: target)

            guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") else {
                throw APIError(
                    .unauthorized, code: "unauthorized", message: "deploying needs the caller's bearer token")
            }
            let token = String(authorization.dropFirst("Bearer ".count))
            if target != model.projectId, let package = instructions.codePackage {
                try await copyPackage(package, from: model.projectId, to: target, core: core, userToken: token)
            }
            let compute = PeerClient(baseURL: core.computeURL) { token }
            // Compute names the fields of both as mlhub sent them; `service.` prefixes what
            // the request said under `service`.
            let kind = deploy.service == nil ? "job" : "deployment"
            let created: JSONValue
            do {
                created = try await compute.call(.POST, "/v1/\(kind)s", body: try JSONValue(encoding: submission))
            } catch let error as PeerError {
                let apiError = error.apiError
                if kind == "deployment", let field = apiError.field, ["replicas", "idleSeconds"].contains(field) {
                    throw APIError(
                        apiError.status, code: apiError.code, message: apiError.message, field: "service.\(field)")
                }
                throw apiError
            }
            return JSONResponse(["\(kind)Id": created["id"] ?? .null, kind: created] as JSONValue, status: .created)
        }
    }

    /// The job that runs `version` in `project`: the card's instructions, the parameters checked
    /// against its schema (400 naming `parameters.<name>`, defaults filled in), the card's
    /// resources overridden by the request's.
    static func jobSubmission(
        for deploy: DeployRequest, of model: Model, _ version: ModelVersion, _ instructions: DeployInstructions,
        in project: String
    ) throws -> JobSubmission {
        var parameters = deploy.parameters
        if let schemaJSON = instructions.parameters {
            let schema = try ParameterSchema.parse(schemaJSON).get()
            do {
                parameters = try schema.validate(parameters)
            } catch let problem as ParameterSchema.Problem {
                throw APIError.invalidField(problem.field, problem.message)
            }
        } else if !parameters.isEmpty {
            throw APIError.invalidField("parameters", "this version declares no parameters")
        }
        let resources = (instructions.resources ?? [:]).merging(deploy.resources) { $1 }
        var submission = JobSubmission(
            projectId: project, modelVersionId: version.id,
            name: deploy.name ?? "\(deploy.service == nil ? "deploy" : "serve") \(model.name)@\(version.number)",
            params: parameters,
            command: instructions.command, image: instructions.image, template: instructions.template,
            codePackage: instructions.codePackage,
            resources: resources.isEmpty ? nil : resources, timeoutSeconds: deploy.timeoutSeconds
        )
        if let service = deploy.service {
            guard deploy.timeoutSeconds == nil else {
                throw APIError.invalidField("timeoutSeconds", "a served version runs until it is stopped: no timeout")
            }
            submission.replicas = service.replicas
            submission.idleSeconds = service.idleSeconds
            submission.inputSchema = instructions.inputSchema
        }
        return submission
    }

    /// Copies a version's package into the project a job runs in (compute runs code packages of
    /// the job's own project): read with the hub's token, written with the caller's, so only
    /// an editor of the target project can put it there. Skipped when already there.
    static func copyPackage(
        _ path: String, from source: String, to target: String, core: HubCore, userToken: String
    ) async throws {
        let asCaller = core.data.acting { userToken }
        do {
            if try await asCaller.files(of: .project(target), prefix: path).contains(where: {
                $0["path"]?.stringValue == path
            }) {
                return
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("mlhub-\(ID.make()).pkg")
            defer { try? FileManager.default.removeItem(at: file) }
            try await core.data.download(.project(source), path: path, to: file)
            try await asCaller.upload(file, to: .project(target), path: path)
        } catch let error as PeerError {
            throw error.apiError
        }
    }
}
