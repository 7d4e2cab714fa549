import Auth
import DataClient
import Foundation
import Platform

/// Turns a spec into a queued job: checks it (400 naming the field), checks the caller may
/// write the project, applies its template (400 outside the template's ranges), checks that
/// some node could ever hold all its workers at once (422), that its inputs and code
/// package exist, has data create the job's run (docs/design.md §4), then stores the job and its
/// `job.queued` event together.
struct JobSubmission: Sendable {
    let core: ComputeCore

    /// `platformEnvironment`: variables the platform sets beside the spec's own (a deployment's
    /// `MLEX_DEPLOYMENT_ID`), which a spec's `env` may not name.
    func submit(
        _ spec: JobSpec, by principal: Principal, rerunOf: String? = nil, platformEnvironment: [String: String] = [:]
    ) async throws -> JobRecord {
        try spec.validate()
        try await core.authorizer.require(.editor, on: spec.projectId, for: principal)
        var resolved = try await TemplateDirectory(core: core).resolve(spec)
        resolved.environment.merge(platformEnvironment) { $1 }
        // One container is one worker: Docker nodes have no shared namespace for a job's workers.
        if resolved.image != nil, spec.effectiveWorkers > 1 {
            throw APIError.unprocessable(
                "the docker executor runs one worker per job; use a queue with local or slurm nodes", field: "workers")
        }
        try await Scheduler(core: core).requireSomeNodeCanHold(
            resolved.resources, workers: spec.effectiveWorkers, queue: spec.effectiveQueue, image: resolved.image)
        try await checkInputs(spec, for: principal)
        try await QuotaAdmission.check(
            core, project: spec.projectId, owner: principal.id,
            gpus: resolved.resources.forWorkers(spec.effectiveWorkers).gpus)

        let id = ID.make()
        let runID: String
        do {
            let run = try await core.data.jobRun(
                jobID: id, projectID: spec.projectId, name: spec.name ?? "job-\(id.suffix(8))",
                params: spec.params ?? [:],
                tags: spec.registerModel.map { [JobSpec.registerModelTag: .string($0.name)] } ?? [:],
                submittedBy: principal.kind == .user ? principal.id : nil
            )
            guard let id = run["id"]?.stringValue else {
                throw APIError.unavailable("data created the job's run but answered no id for it")
            }
            runID = id
            for version in spec.inputs ?? [] { try await core.data.linkInput(run: runID, datasetVersion: version) }
        } catch let error as PeerError {
            throw error.apiError
        }
        let job = JobRecord(id: id, spec: spec, resolved: resolved, owner: principal.id, runID: runID, rerunOf: rerunOf)
        try await core.jobs.insert(job)
        return job
    }

    /// Inputs must be final dataset versions of a project the caller may read (data answers 404
    /// otherwise), and the code package a file of the job's project.
    private func checkInputs(_ spec: JobSpec, for principal: Principal) async throws {
        for (index, version) in (spec.inputs ?? []).enumerated() {
            let found: JSONValue
            do {
                found = try await core.data.datasetVersion(version)
            } catch let error as PeerError where error.status == 404 {
                throw APIError.invalidField("inputs.\(index)", "no dataset version \(version)")
            } catch let error as PeerError {
                throw error.apiError
            }
            // Compute reads datasets with its own token; the caller must be able to read them too,
            // and learns nothing of one they cannot — not even that it is a draft.
            if let project = found["projectId"]?.stringValue, project != spec.projectId,
                try await core.authorizer.role(of: principal, on: project) == nil
            {
                throw APIError.invalidField("inputs.\(index)", "no dataset version \(version)")
            }
            guard found["state"]?.stringValue == "final" else {
                throw APIError.invalidField(
                    "inputs.\(index)", "dataset version \(version) is still a draft; finalize it first")
            }
        }
        if let package = spec.codePackage {
            let files: [JSONValue]
            do {
                files = try await core.data.files(of: .project(spec.projectId), prefix: package)
            } catch let error as PeerError {
                throw error.apiError
            }
            guard files.contains(where: { $0["path"]?.stringValue == package }) else {
                throw APIError.invalidField(
                    "codePackage", "the project has no file \(package); upload the package first")
            }
        }
    }
}
