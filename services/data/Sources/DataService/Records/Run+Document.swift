import Platform
import Store

/// The run's document, by hand (see `StoredRecord`): a metric batch reads its run and a search
/// a thousand of them, so this costs no more than the copy the store's answer already is.
extension Run {
    init(document: JSONValue) throws {
        let fields = try StoredFields(document, of: Self.self)
        self.init(
            id: try fields.string("id"), projectId: try fields.string("projectId"),
            experimentId: try fields.string("experimentId"),
            name: try fields.string("name"), status: try fields.value("status"),
            startTime: try fields.string("startTime"),
            endTime: try fields.optionalString("endTime"), createdBy: try fields.string("createdBy"),
            parentRunId: try fields.presence("parentRunId"),
            source: try fields.members["source"].map { try RunSource(stored: $0) },
            params: RunFields(stored: try fields.object("params")), tags: RunFields(stored: try fields.object("tags")),
            metrics: RunFields(stored: try fields.object("metrics")),
            metricSummaries: RunFields(stored: try fields.object("metricSummaries")),
            lifecycle: try fields.value("lifecycle"), createdAt: try fields.optionalString("createdAt"),
            updatedAt: try fields.optionalString("updatedAt"), trashedAt: try fields.presence("trashedAt"),
            exitCode: fields.members["exitCode"]
        )
    }

    func document() -> JSONValue {
        .object(members { .object($0.stored) })
    }

    /// As clients and events see it: params, tags and metrics under the names users wrote.
    func view() -> JSONValue {
        .object(members(\.named))
    }

    private func members(_ fields: (RunFields) -> JSONValue) -> [String: JSONValue] {
        var members = [String: JSONValue](minimumCapacity: 20)
        members["id"] = .string(id)
        members["projectId"] = .string(projectId)
        members["experimentId"] = .string(experimentId)
        members["name"] = .string(name)
        members["status"] = .string(status.rawValue)
        members["startTime"] = .string(startTime)
        members["createdBy"] = .string(createdBy)
        members["params"] = fields(params)
        members["tags"] = fields(tags)
        members["metrics"] = fields(metrics)
        members["metricSummaries"] = fields(metricSummaries)
        members["lifecycle"] = .string(lifecycle.rawValue)
        members.setIfPresent("endTime", endTime.map(JSONValue.string))
        members.set("parentRunId", parentRunId)
        members.setIfPresent("source", source?.document())
        members.setIfPresent("createdAt", createdAt.map(JSONValue.string))
        members.setIfPresent("updatedAt", updatedAt.map(JSONValue.string))
        members.set("trashedAt", trashedAt)
        members.setIfPresent("exitCode", exitCode)
        return members
    }
}

extension RunSource {
    init(stored: JSONValue) throws {
        let fields = try StoredFields(stored, of: Self.self)
        self.init(
            codeVersion: try fields.optionalString("codeVersion"), gitCommit: try fields.optionalString("gitCommit"),
            gitRepository: try fields.optionalString("gitRepository"),
            entryPoint: try fields.optionalString("entryPoint"),
            jobId: try fields.optionalString("jobId")
        )
    }

    func document() -> JSONValue {
        var members: [String: JSONValue] = [:]
        members.setIfPresent("codeVersion", codeVersion.map(JSONValue.string))
        members.setIfPresent("gitCommit", gitCommit.map(JSONValue.string))
        members.setIfPresent("gitRepository", gitRepository.map(JSONValue.string))
        members.setIfPresent("entryPoint", entryPoint.map(JSONValue.string))
        members.setIfPresent("jobId", jobId.map(JSONValue.string))
        return .object(members)
    }
}
