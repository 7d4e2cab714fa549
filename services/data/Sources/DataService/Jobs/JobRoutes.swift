import Auth
import Foundation
import Hummingbird
import Platform

/// The compute side's door (docs/design.md §4, "a job is a run"): at submission compute asks for
/// the job's run, so the job knows where its logs, metrics and outputs go; the agent then uses
/// the run's own endpoints. Asking again for the same job gives the same run.
enum JobRoutes {
    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.put(
            "/v1/jobs/{jobId}/run",
            OperationDoc(
                "The run of a compute job, created scheduled on first call in the named experiment (default `jobs`, made if missing); editors and the compute service",
                tags: ["jobs"],
                body: Schema.object(
                    [
                        "projectId": Schema.id, "experimentName": Schema.string, "name": Schema.string,
                        "params": Schema.anyObject,
                        "tags": Schema.anyObject, "source": Schema.anyObject, "submittedBy": Schema.id,
                    ], required: ["projectId"]),
                response: Schema.ref("Run")
            )
        ) { request, context in
            let jobID = try context.parameters.requireID("jobId")
            let body = try await request.decodeJSON(as: JobRunRequest.self, context: context)
            let (project, _) = try await core.project(try body.projectID(), context, needs: .editor)
            if let existing = try await core.runs.run(ofJob: jobID) {
                guard existing.projectId == project.id else {
                    throw APIError.conflict(
                        "job \(jobID) already has a run in another project", code: "job_run_exists", field: "jobId")
                }
                return JSONResponse(existing.view())
            }
            let caller = try context.requirePrincipal()
            let (submitter, experimentName, creation) = try body.checked(jobID: jobID, caller: caller)
            let experiment = try await experiment(named: experimentName, in: project, by: submitter ?? caller.id, core)
            let run = try creation.run(in: experiment, by: submitter ?? caller.id)
            try await core.runs.create(run)
            return JSONResponse(run.view(), status: .created)
        }
    }

    /// The project's experiment with this name, made when there is none.
    private static func experiment(
        named name: String, in project: Project, by userID: String, _ core: DataCore
    ) async throws -> Experiment {
        if let found = try await core.experiments.experiment(named: name, in: project.id) { return found }
        let created = Experiment(name: name, description: "Runs of compute jobs", in: project.id, createdBy: userID)
        do {
            try await core.experiments.create(created)
            return created
        } catch let error as APIError where error.code == "name_taken" {
            // Made by a concurrent request meanwhile.
            guard let found = try await core.experiments.experiment(named: name, in: project.id) else { throw error }
            return found
        }
    }
}
