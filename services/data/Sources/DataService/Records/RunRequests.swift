import Foundation
import Platform

/// `POST /v1/experiments/{id}/runs`: a new run, with params and tags if wanted.
struct RunCreation: Decodable {
    let name: String?
    let startTime: String?
    let status: RunStatus?
    let parentRunId: String?
    let source: RunSource?
    let params: [String: JSONValue]?
    let tags: [String: JSONValue]?

    /// The parent's id when one is named (400 when it is no id); whether that run exists in the
    /// project is the caller's to check, before `run(in:by:)`.
    func parentID() throws -> String? {
        try Validate.id(parentRunId, field: "parentRunId")
    }

    /// The run as it is stored, after checking every other field (400 naming the first bad one).
    func run(in experiment: Experiment, by userID: String, at now: String = Timestamp.now) throws -> Run {
        let id = ID.make()
        let status = status ?? .running
        guard !status.isTerminal else { throw APIError.invalidField("status", "a run starts scheduled or running") }
        try source?.validate()
        return Run(
            id: id, projectId: experiment.projectId, experimentId: experiment.id,
            name: try name.map { try Validate.name($0) } ?? "run-\(id.suffix(8))", status: status,
            startTime: try startTime.map { try Validate.time($0, field: "startTime") } ?? now, endTime: nil,
            createdBy: userID, parentRunId: Presence(try parentID()), source: source ?? RunSource(),
            params: RunFields(named: try RunFieldRules.checkedParams(params ?? [:])),
            tags: RunFields(named: try RunFieldRules.checkedTags(tags ?? [:], allowRemoval: false)),
            metrics: RunFields(), metricSummaries: RunFields(), lifecycle: .active, createdAt: now, updatedAt: now,
            trashedAt: .absent, exitCode: nil
        )
    }
}

/// `PATCH /v1/runs/{id}`: a new name, or a status further on.
struct RunChange: Decodable {
    let name: String?
    let status: RunStatus?
    let endTime: String?

    /// `run` with the changes checked and made, and the verb they announce (`finished`, for
    /// `run.finished`, on a terminal status); nil when the body changes nothing. A finished run
    /// keeps its status (409).
    func applied(to run: Run) throws -> (run: Run, verb: String?)? {
        var changed = run
        var touched = false
        var verb: String?
        if let name {
            changed.name = try Validate.name(name)
            touched = true
        }
        if let status {
            guard run.status.canMove(to: status) else {
                throw APIError.conflict(
                    "run is \(run.status.rawValue); it cannot become \(status.rawValue)", code: "invalid_transition",
                    field: "status")
            }
            if status != run.status {
                changed.status = status
                touched = true
                if status.isTerminal {
                    changed.endTime = try endTime.map { try Validate.time($0, field: "endTime") } ?? Timestamp.now
                    verb = "finished"
                }
            }
        } else if endTime != nil {
            throw APIError.invalidField("endTime", "endTime is set with a terminal status")
        }
        return touched ? (changed, verb) : nil
    }
}

/// `POST /v1/runs/{id}/params`.
struct ParamsRequest: Decodable {
    let params: [String: JSONValue]

    func validated() throws -> [String: JSONValue] {
        try RunFieldRules.checkedParams(params)
    }
}

/// `PATCH /v1/runs/{id}/tags`: new values, and nulls for the tags to remove.
struct TagsRequest: Decodable {
    let tags: [String: JSONValue]

    /// Each tag's new value, nil to remove it.
    func validated() throws -> [String: String?] {
        try RunFieldRules.checkedTags(tags, allowRemoval: true).mapValues(\.stringValue)
    }
}

/// What params and tags hold: MLflow's keys (`FieldKey`) with scalar values, as its users log them.
enum RunFieldRules {
    static let maxPerRequest = 200
    static let maxParamLength = 6000
    static let maxTagLength = 8000

    static func checkedParams(_ params: [String: JSONValue]) throws -> [String: JSONValue] {
        guard params.count <= maxPerRequest else {
            throw APIError.invalidField("params", "at most \(maxPerRequest) params per request")
        }
        for (key, value) in params {
            try FieldKey.validate(key, field: "params.\(key)")
            _ = try Validate.scalar(value, field: "params.\(key)", maxLength: maxParamLength)
        }
        return params
    }

    /// Tags are strings; with `allowRemoval`, null removes one.
    static func checkedTags(_ tags: [String: JSONValue], allowRemoval: Bool) throws -> [String: JSONValue] {
        guard tags.count <= maxPerRequest else {
            throw APIError.invalidField("tags", "at most \(maxPerRequest) tags per request")
        }
        for (key, value) in tags {
            try FieldKey.validate(key, field: "tags.\(key)")
            if value == .null, allowRemoval { continue }
            guard case .string = value else {
                throw APIError.invalidField(
                    "tags.\(key)", "a tag's value is a string\(allowRemoval ? " (null removes it)" : "")")
            }
            _ = try Validate.scalar(value, field: "tags.\(key)", maxLength: maxTagLength)
        }
        return tags
    }
}
