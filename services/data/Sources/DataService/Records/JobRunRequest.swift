import Auth
import Platform

/// `PUT /v1/jobs/{jobId}/run`: compute asks for the run of a job it was given.
struct JobRunRequest: Decodable {
    let projectId: String
    let experimentName: String?
    let name: String?
    let params: [String: JSONValue]?
    let tags: [String: JSONValue]?
    let source: RunSource?
    /// The user who submitted the job, when a service asks on their behalf.
    let submittedBy: String?

    static let defaultExperiment = "jobs"

    /// The project, checked first: whether the caller may write there comes before the rest.
    func projectID() throws -> String {
        guard ID.isValid(projectId) else { throw APIError.invalidField("projectId", "projectId is an id") }
        return projectId
    }

    /// The rest of the request, checked (400 naming the field): who the run is created for,
    /// the experiment it goes in, and the run to create there (itself checked by `RunCreation`).
    func checked(
        jobID: String, caller: Principal
    ) throws -> (submitter: String?, experimentName: String, run: RunCreation) {
        let submitter = try Validate.id(submittedBy, field: "submittedBy")
        if submitter != nil, caller.kind != .service {
            throw APIError.invalidField("submittedBy", "only a service submits on someone's behalf")
        }
        let experiment = try Validate.name(experimentName ?? Self.defaultExperiment, field: "experimentName")
        var source = source ?? RunSource()
        source.jobId = jobID
        let run = RunCreation(
            name: name, startTime: nil, status: .scheduled, parentRunId: nil, source: source, params: params, tags: tags
        )
        return (submitter, experiment, run)
    }
}
