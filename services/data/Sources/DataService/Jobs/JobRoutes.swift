import Auth
import Foundation
import Hummingbird
import Platform
import Store

/// The compute side's door (DESIGN.md §4, "a job is a run"): at submission compute asks for
/// the job's run, so the job knows where its logs, metrics and outputs go; the agent then uses
/// the run's own endpoints. Asking again for the same job gives the same run.
enum JobRoutes {
    struct RunRequest: Decodable {
        let projectId: String
        let experimentName: String?
        let name: String?
        let params: [String: JSONValue]?
        let tags: [String: JSONValue]?
        let source: RunRoutes.Source?
        /// The user who submitted the job, when a service asks on their behalf.
        let submittedBy: String?
    }

    static let defaultExperiment = "jobs"

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.put("/v1/jobs/{jobId}/run", OperationDoc(
            "The run of a compute job, created scheduled on first call in the named experiment (default `jobs`, made if missing); editors and the compute service", tags: ["jobs"],
            body: Schema.object([
                "projectId": Schema.id, "experimentName": Schema.string, "name": Schema.string, "params": Schema.anyObject,
                "tags": Schema.anyObject, "source": Schema.anyObject, "submittedBy": Schema.id,
            ], required: ["projectId"]),
            response: Schema.ref("Run")
        )) { request, context in
            let jobID = try context.parameters.requireID("jobId")
            let body = try await request.decodeJSON(as: RunRequest.self, context: context)
            guard ID.isValid(body.projectId) else { throw APIError.invalidField("projectId", "projectId is an id") }
            let (project, _) = try await core.project(body.projectId, context, needs: .editor)
            if let existing = try await core.store.find("runs", Query(filter: ["source.jobId": .string(jobID)], limit: 1)).first {
                guard existing["projectId"] == project["id"] else { throw APIError.conflict("job \(jobID) already has a run in another project", code: "job_run_exists", field: "jobId") }
                return JSONResponse(RunDirectory.view(existing))
            }
            let caller = try context.requirePrincipal()
            let submitter = try Validate.id(body.submittedBy, field: "submittedBy")
            if submitter != nil, caller.kind != .service { throw APIError.invalidField("submittedBy", "only a service submits on someone's behalf") }
            let experiment = try await experiment(named: try Validate.name(body.experimentName ?? defaultExperiment, field: "experimentName"), in: project, by: submitter ?? caller.id, core)
            let source = RunRoutes.Source(
                codeVersion: body.source?.codeVersion, gitCommit: body.source?.gitCommit, gitRepository: body.source?.gitRepository,
                entryPoint: body.source?.entryPoint, jobId: jobID
            )
            let creation = RunRoutes.Creation(name: body.name, startTime: nil, status: .scheduled, parentRunId: nil, source: source, params: body.params, tags: body.tags)
            var run = try await RunRoutes.newRun(creation, in: experiment, by: caller, core)
            if let submitter { run["createdBy"] = .string(submitter) }
            try await core.runs.create(run)
            return JSONResponse(RunDirectory.view(run), status: .created)
        }
    }

    /// The project's experiment with this name, made when there is none.
    private static func experiment(named name: String, in project: JSONValue, by userID: String, _ core: DataCore) async throws -> JSONValue {
        let projectID = project["id"]!.stringValue!
        if let found = try await core.experiments.experiment(named: name, in: projectID) { return found }
        do {
            return try await core.experiments.create(name: name, description: "Runs of compute jobs", in: projectID, by: userID)
        } catch let error as APIError where error.code == "name_taken" {
            // Made by a concurrent request meanwhile.
            guard let found = try await core.experiments.experiment(named: name, in: projectID) else { throw error }
            return found
        }
    }
}
