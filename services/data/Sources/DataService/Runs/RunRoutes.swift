import Auth
import Foundation
import Hummingbird
import Platform

/// Runs inside an experiment: editors create and change them; params are written once, tags
/// overwrite; a terminal status announces `run.finished`.
enum RunRoutes {
    struct Source: Codable {
        let codeVersion: String?
        let gitCommit: String?
        let gitRepository: String?
        let entryPoint: String?
        let jobId: String?
    }

    struct Creation: Decodable {
        let name: String?
        let startTime: String?
        let status: RunStatus?
        let parentRunId: String?
        let source: Source?
        let params: [String: JSONValue]?
        let tags: [String: JSONValue]?
    }

    struct Change: Decodable {
        let name: String?
        let status: RunStatus?
        let endTime: String?
    }

    struct Params: Decodable { let params: [String: JSONValue] }
    struct Tags: Decodable { let tags: [String: JSONValue] }

    static let maxParamsPerRequest = 200
    static let maxParamLength = 6000
    static let maxTagLength = 8000

    static let run = Schema.object(
        [
            "id": Schema.id, "projectId": Schema.id, "experimentId": Schema.id, "name": Schema.string,
            "status": Schema.enumeration(RunStatus.allCases.map(\.rawValue)), "startTime": Schema.dateTime, "endTime": Schema.dateTime,
            "createdBy": Schema.string, "parentRunId": Schema.id, "source": Schema.anyObject,
            "params": Schema.anyObject, "tags": Schema.anyObject, "metrics": Schema.anyObject, "metricSummaries": Schema.anyObject,
            "lifecycle": Schema.enumeration(Lifecycle.allCases.map(\.rawValue)), "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime,
        ],
        required: ["id", "projectId", "experimentId", "name", "status", "startTime", "lifecycle"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore) {
        api.schema("Run", run)
        let runs = core.runs
        let view = RunDirectory.view

        api.post("/v1/experiments/{id}/runs", OperationDoc(
            "Start a run in the experiment (editors); params and tags may come with it", tags: ["runs"],
            body: Schema.object([
                "name": Schema.string, "startTime": Schema.dateTime, "status": Schema.enumeration(RunStatus.allCases.map(\.rawValue)),
                "parentRunId": Schema.id, "source": Schema.anyObject, "params": Schema.anyObject, "tags": Schema.anyObject,
            ]),
            status: 201, response: Schema.ref("Run")
        )) { request, context in
            let experiment = try await core.experiment(try context.parameters.requireID("id"), context, needs: .editor)
            let body = try await request.decodeJSON(as: Creation.self, context: context)
            let created = try await newRun(body, in: experiment, by: try context.requirePrincipal(), core)
            try await runs.create(created)
            return JSONResponse(view(created), status: .created)
        }

        api.get("/v1/experiments/{id}/runs", OperationDoc(
            "The experiment's runs, by id (viewers); POST /v1/runs/search filters and orders them", tags: ["runs"],
            query: PageRequest.parameters() + [Lifecycle.viewParameter],
            response: Schema.object(["items": Schema.array(of: Schema.ref("Run")), "nextAfter": Schema.id], required: ["items"])
        )) { request, context in
            let experiment = try await core.experiment(try context.parameters.requireID("id"), context, needs: .viewer)
            let page = try PageRequest(request)
            let found = try await runs.runs(in: experiment["id"]!.stringValue!, lifecycle: try Lifecycle.view(request), limit: page.limit, after: page.after)
            return JSONResponse(page.response(found, view: view))
        }

        api.get("/v1/runs/{id}", OperationDoc("A run with its params, tags and latest metrics (viewers)", tags: ["runs"], response: Schema.ref("Run"))) { _, context in
            JSONResponse(view(try await core.run(try context.parameters.requireID("id"), context, needs: .viewer)))
        }

        api.patch("/v1/runs/{id}", OperationDoc(
            "Rename a run or move its status on (editors); a finished, failed or killed run keeps its status", tags: ["runs"],
            body: Schema.object(["name": Schema.string, "status": Schema.enumeration(RunStatus.allCases.map(\.rawValue)), "endTime": Schema.dateTime]),
            response: Schema.ref("Run")
        )) { request, context in
            let found = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let body = try await request.decodeJSON(as: Change.self, context: context)
            let (set, verb) = try change(found, body)
            guard !set.isEmpty else { return JSONResponse(view(found)) }
            return JSONResponse(view(try await runs.entities.update(found, set: set, verb: verb)))
        }

        api.post("/v1/runs/{id}/params", OperationDoc(
            "Log params (editors): each is written once; the same value again is accepted, another is a 409", tags: ["runs"],
            body: Schema.object(["params": Schema.anyObject], required: ["params"]), response: Schema.ref("Run")
        )) { request, context in
            let found = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let body = try await request.decodeJSON(as: Params.self, context: context)
            try await runs.logParams(try checkedParams(body.params), to: found)
            return JSONResponse(view(try await runs.run(id: found["id"]!.stringValue!) ?? found))
        }

        api.patch("/v1/runs/{id}/tags", OperationDoc(
            "Set tags, overwriting; a null value removes the tag (editors)", tags: ["runs"],
            body: Schema.object(["tags": Schema.anyObject], required: ["tags"]), response: Schema.ref("Run")
        )) { request, context in
            let found = try await core.run(try context.parameters.requireID("id"), context, needs: .editor)
            let body = try await request.decodeJSON(as: Tags.self, context: context)
            try await runs.setTags(try checkedTags(body.tags, allowRemoval: true), on: found)
            return JSONResponse(view(try await runs.run(id: found["id"]!.stringValue!) ?? found))
        }

        api.delete("/v1/runs/{id}", OperationDoc(
            "Move a run to the trash (editors), or with purge=true delete a trashed run with its metrics and logs (owners)", tags: ["runs"],
            query: [OperationDoc.purgeParameter], response: OperationDoc.freedBytes
        )) { request, context in
            let id = try context.parameters.requireID("id")
            let found = try await core.run(id, context, needs: request.wantsPurge ? .owner : .editor, trashed: true)
            return JSONResponse(["freedBytes": .int(try await runs.entities.remove(found, purge: request.wantsPurge))] as JSONValue)
        }

        api.post("/v1/runs/{id}/restore", OperationDoc("Take a run out of the trash (editors)", tags: ["runs"], response: Schema.ref("Run"))) { _, context in
            let found = try await core.run(try context.parameters.requireID("id"), context, needs: .editor, trashed: true)
            return JSONResponse(view(try await runs.entities.restore(found)))
        }
    }

    /// The stored document of a new run, after checking every field of the request.
    static func newRun(_ body: Creation, in experiment: JSONValue, by caller: Principal, _ core: DataCore) async throws -> JSONValue {
        let id = ID.make()
        let now = Timestamp.now
        let projectID = experiment["projectId"]!.stringValue!
        if let parentID = try Validate.id(body.parentRunId, field: "parentRunId") {
            guard let parent = try await core.runs.run(id: parentID), parent["projectId"]?.stringValue == projectID else {
                throw APIError.notFound("no run \(parentID) in this project", field: "parentRunId")
            }
        }
        let status = body.status ?? .running
        guard !status.isTerminal else { throw APIError.invalidField("status", "a run starts scheduled or running") }
        var source: [String: JSONValue] = [:]
        if let given = body.source {
            for (key, value) in [("codeVersion", given.codeVersion), ("gitCommit", given.gitCommit), ("gitRepository", given.gitRepository), ("entryPoint", given.entryPoint), ("jobId", given.jobId)] {
                guard let value else { continue }
                guard value.count <= 500 else { throw APIError.invalidField("source.\(key)", "at most 500 characters") }
                source[key] = .string(value)
            }
        }
        return [
            "id": .string(id), "projectId": .string(projectID), "experimentId": experiment["id"]!,
            "name": .string(try body.name.map { try Validate.name($0) } ?? "run-\(id.suffix(8))"),
            "status": .string(status.rawValue), "startTime": .string(try body.startTime.map { try Validate.time($0, field: "startTime") } ?? now),
            "createdBy": .string(caller.id), "parentRunId": body.parentRunId.map(JSONValue.string) ?? .null, "source": .object(source),
            "params": .object(encodedKeys(try checkedParams(body.params ?? [:]))), "tags": .object(encodedKeys(try checkedTags(body.tags ?? [:], allowRemoval: false))),
            "metrics": [:], "metricSummaries": [:], "lifecycle": "active", "createdAt": .string(now), "updatedAt": .string(now),
        ]
    }

    /// What a PATCH sets, and the verb it announces (`finished`, for `run.finished`, on a terminal status).
    static func change(_ run: JSONValue, _ body: Change) throws -> ([String: JSONValue], String?) {
        var set: [String: JSONValue] = [:]
        var verb: String?
        if let name = body.name { set["name"] = .string(try Validate.name(name)) }
        if let status = body.status {
            let current = run["status"]?.stringValue.flatMap(RunStatus.init(rawValue:)) ?? .running
            guard current.canMove(to: status) else {
                throw APIError.conflict("run is \(current.rawValue); it cannot become \(status.rawValue)", code: "invalid_transition", field: "status")
            }
            if status != current {
                set["status"] = .string(status.rawValue)
                if status.isTerminal {
                    set["endTime"] = .string(try body.endTime.map { try Validate.time($0, field: "endTime") } ?? Timestamp.now)
                    verb = "finished"
                }
            }
        } else if body.endTime != nil {
            throw APIError.invalidField("endTime", "endTime is set with a terminal status")
        }
        return (set, verb)
    }

    static func checkedParams(_ params: [String: JSONValue]) throws -> [String: JSONValue] {
        guard params.count <= maxParamsPerRequest else { throw APIError.invalidField("params", "at most \(maxParamsPerRequest) params per request") }
        for (key, value) in params {
            try FieldKey.validate(key, field: "params.\(key)")
            _ = try Validate.scalar(value, field: "params.\(key)", maxLength: maxParamLength)
        }
        return params
    }

    static func checkedTags(_ tags: [String: JSONValue], allowRemoval: Bool) throws -> [String: JSONValue] {
        guard tags.count <= maxParamsPerRequest else { throw APIError.invalidField("tags", "at most \(maxParamsPerRequest) tags per request") }
        for (key, value) in tags {
            try FieldKey.validate(key, field: "tags.\(key)")
            if value == .null, allowRemoval { continue }
            guard case .string = value else { throw APIError.invalidField("tags.\(key)", "a tag's value is a string\(allowRemoval ? " (null removes it)" : "")") }
            _ = try Validate.scalar(value, field: "tags.\(key)", maxLength: maxTagLength)
        }
        return tags
    }

    static func encodedKeys(_ members: [String: JSONValue]) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: members.map { (FieldKey.encode($0.key), $0.value) })
    }
}
