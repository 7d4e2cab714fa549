import Auth
import DataClient
import Foundation
import Hummingbird
import Platform
import Store

/// Versions of a model: add, read (by number, alias or `latest`), stage, aliases, lineage, files.
enum VersionRoutes {
    static let versionSchema = Schema.object(
        [
            "id": Schema.id, "modelId": Schema.id, "projectId": Schema.id, "number": Schema.integer,
            "label": Schema.string, "description": Schema.string,
            "stage": Schema.enumeration(Stage.allCases.map(\.rawValue)), "aliases": Schema.array(of: Schema.string),
            "metrics": Schema.anyObject,
            "source": Schema.object([
                "runId": Schema.id, "jobId": Schema.id, "datasetVersionIds": Schema.array(of: Schema.id),
                "image": Schema.string, "gitCommit": Schema.string, "mlflowURI": Schema.string,
                "loggedModelId": Schema.string,
            ]),
            "files": Schema.object(["runId": Schema.id, "prefix": Schema.string]),
            "tags": Schema.array(of: Schema.string), "deployCount": Schema.integer,
            "mlflowTags": MLflowRegistryJSON.tagsSchema,
            "name": Schema.string, "task": Schema.string, "framework": Schema.string, "public": Schema.boolean,
            "createdAt": Schema.dateTime, "createdBy": Schema.string,
        ],
        required: ["id", "modelId", "projectId", "number", "stage", "aliases", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: HubCore) {
        api.schema("ModelVersion", versionSchema)
        let registry = core.registry
        let reference = "`{version}` is a number, an alias or `latest`"

        api.post(
            "/v1/models/{id}/versions",
            OperationDoc(
                "Add the next version (editors): its lineage (`source`), metrics, where its files are (`files`: a run of the model's project and a path prefix; default the source run's outputs) and a label such as the card's own version string",
                tags: ["versions"],
                body: Schema.object([
                    "label": Schema.string, "description": Schema.string, "metrics": Schema.anyObject,
                    "source": Schema.anyObject, "files": Schema.anyObject,
                ]),
                status: 201, response: Schema.ref("ModelVersion")
            )
        ) { request, context in
            let model = try await core.model(try context.parameters.requireID("id"), context, needs: .editor)
            let creation = try await request.decodeJSON(as: VersionCreation.self, context: context)
            let principal = try context.requirePrincipal()
            let draft = try await checked(creation, model: model, core: core, principal: principal)
            return JSONResponse(
                try JSONValue(encoding: try await registry.createVersion(of: model.id, draft, actor: principal.id)),
                status: .created)
        }

        api.get(
            "/v1/models/{id}/versions",
            OperationDoc(
                "The model's versions, oldest first (viewers)", tags: ["versions"], query: PageRequest.parameters(),
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("ModelVersion")), "nextAfter": Schema.id], required: ["items"]
                )
            )
        ) { request, context in
            let model = try await core.model(try context.parameters.requireID("id"), context, needs: .viewer)
            let paging = try PageRequest(request)
            let found = try await registry.versions(of: model.id, page: paging)
            return JSONResponse(paging.response(try found.map { try JSONValue(encoding: $0) }))
        }

        api.get(
            "/v1/models/{id}/versions/{version}",
            OperationDoc(
                "One version (viewers); \(reference)", tags: ["versions"], response: Schema.ref("ModelVersion"))
        ) { _, context in
            JSONResponse(try JSONValue(encoding: try await core.version(context, needs: .viewer).version))
        }

        api.put(
            "/v1/models/{id}/versions/{version}/stage",
            OperationDoc(
                "Move a version to none, staging, production or archived (editors); `archiveOthers: true` archives the model's other versions in that stage. Each move is in the audit log",
                tags: ["versions"],
                body: Schema.object(["stage": Schema.string, "archiveOthers": Schema.boolean], required: ["stage"]),
                response: Schema.ref("ModelVersion")
            )
        ) { request, context in
            let (_, version) = try await core.version(context, needs: .editor)
            let change = try await request.decodeJSON(as: StageChange.self, context: context)
            let moved = try await registry.setStage(
                version, to: change.stage, archiveOthers: change.archiveOthers, actor: try context.requirePrincipal().id
            )
            return JSONResponse(try JSONValue(encoding: moved))
        }

        api.put(
            "/v1/models/{id}/aliases/{alias}",
            OperationDoc(
                "Point an alias (`champion`) at a version (editors), moving it from the version that held it; audited. `GET …/versions/{alias}` resolves it",
                tags: ["versions"], body: Schema.object(["version": Schema.integer], required: ["version"]),
                response: Schema.ref("ModelVersion")
            )
        ) { request, context in
            let model = try await core.model(try context.parameters.requireID("id"), context, needs: .editor)
            let alias = try Alias(checking: context.parameters.get("alias") ?? "")
            let target = try await request.decodeJSON(as: AliasTarget.self, context: context)
            return JSONResponse(
                try JSONValue(
                    encoding: try await registry.setAlias(
                        alias, of: model, to: target.version, actor: try context.requirePrincipal().id)))
        }

        api.delete(
            "/v1/models/{id}/aliases/{alias}",
            OperationDoc("Remove an alias (editors); audited", tags: ["versions"], status: 204)
        ) { _, context in
            let model = try await core.model(try context.parameters.requireID("id"), context, needs: .editor)
            let alias = Alias(lookingUp: context.parameters.get("alias") ?? "")
            guard try await registry.removeAlias(alias, of: model, actor: try context.requirePrincipal().id) else {
                throw APIError.notFound("the model has no alias \(alias.name)")
            }
            return HTTPResponse.Status.noContent
        }

        api.get(
            "/v1/models/{id}/versions/{version}/lineage",
            OperationDoc(
                "Where a version came from, whichever links exist: its source run, the job that ran it, the dataset versions it read, the code commit and image (viewers); \(reference)",
                tags: ["versions"], response: Schema.anyObject
            )
        ) { _, context in
            let (_, version) = try await core.version(context, needs: .viewer)
            let principal = try context.requirePrincipal()
            return JSONResponse(
                try await Lineage(store: core.store).of(version) { project in
                    try await core.authorizer.role(of: principal, on: project) != nil
                })
        }

        api.get(
            "/v1/models/{id}/versions/{version}/files",
            OperationDoc(
                "The version's files, each with the data path to download it (`downloadPath`, through the gateway) (viewers); \(reference)",
                tags: ["versions"],
                response: Schema.object(["items": Schema.array(of: Schema.anyObject)], required: ["items"])
            )
        ) { _, context in
            let (_, version) = try await core.version(context, needs: .viewer)
            // A version's files are a run's (registered from a run or job) or its project's
            // (an ingested package), under a prefix.
            let owner: DataClient.FileOwner
            let base: String
            guard let files = version.files else { return JSONResponse(["items": []] as JSONValue) }
            if let runID = files.runId {
                (owner, base) = (.run(runID), "/api/data/v1/runs/\(runID)")
            } else if let projectID = files.projectId {
                (owner, base) = (.project(projectID), "/api/data/v1/projects/\(projectID)")
            } else {
                return JSONResponse(["items": []] as JSONValue)
            }
            let prefix = files.prefix
            let listed: [JSONValue]
            do {
                listed = try await core.data.files(of: owner, prefix: prefix)
            } catch let error as PeerError {
                throw error.apiError
            }
            return JSONResponse(
                [
                    "items": .array(
                        listed.map { file in
                            var item = file
                            let path = file["path"]?.stringValue ?? ""
                            item["name"] = .string(String(path.dropFirst(prefix.count)))
                            item["downloadPath"] = .string("\(base)/files/\(URLPath.escape(path))")
                            return item
                        })
                ] as JSONValue)
        }
    }

    /// The draft of a checked creation. Files must come from a run of the model's own project
    /// (the hub lists them with its own token, so a run elsewhere would leak through a public
    /// model). Every run, job and dataset version the lineage names must be readable by the
    /// caller, or the lineage would show them to the model's viewers; one the caller cannot read
    /// is refused exactly as one that does not exist.
    static func checked(
        _ creation: VersionCreation, model: Model, core: HubCore, principal: Principal
    ) async throws -> VersionDraft {
        try await requireReadableLineage(creation.source, core: core, principal: principal)
        var draft = VersionDraft(
            label: creation.label, description: creation.description, source: creation.source, metrics: creation.metrics
        )
        // Files named by the body, else the source run's.
        let field = creation.files == nil ? "source.runId" : "files.runId"
        guard let filesRun = creation.files?.runId ?? creation.source.runId else { return draft }
        let run: JSONValue
        do {
            run = try await core.data.run(filesRun)
        } catch let error as PeerError where error.status == 404 {
            throw APIError.invalidField(field, "no run \(filesRun) that you can read")
        } catch let error as PeerError {
            throw error.apiError
        }
        guard try await core.authorizer.role(of: principal, on: run["projectId"]?.stringValue ?? "") != nil else {
            throw APIError.invalidField(field, "no run \(filesRun) that you can read")
        }
        guard run["projectId"]?.stringValue == model.projectId else {
            throw APIError.invalidField(field, "the run is not in the model's project")
        }
        let prefix = creation.files?.prefix ?? (run["source"]?["jobId"] != nil ? "outputs/" : "")
        try VersionCreation.checkPrefix(prefix)
        draft.files = VersionFiles(runId: filesRun, prefix: prefix)
        return draft
    }

    /// Refuses a lineage naming a run, job or dataset version the caller cannot read, with the
    /// answer a missing one gets. A job is known from compute's events (`job_views`).
    static func requireReadableLineage(_ source: VersionSource, core: HubCore, principal: Principal) async throws {
        func readable(_ project: String?) async throws -> Bool {
            guard let project else { return false }
            return try await core.authorizer.role(of: principal, on: project) != nil
        }
        func projectOf(_ fetch: () async throws -> JSONValue) async throws -> String? {
            do {
                return try await fetch()["projectId"]?.stringValue
            } catch let error as PeerError where error.status == 404 {
                return nil
            } catch let error as PeerError {
                throw error.apiError
            }
        }
        if let run = source.runId, try await !readable(try await projectOf { try await core.data.run(run) }) {
            throw APIError.invalidField("source.runId", "no run \(run) that you can read")
        }
        if let job = source.jobId,
            try await !readable(try await core.store.get(job, from: "job_views")?["projectId"]?.stringValue)
        {
            throw APIError.invalidField("source.jobId", "no job \(job) that you can read")
        }
        for (index, version) in (source.datasetVersionIds ?? []).enumerated() {
            if try await !readable(try await projectOf { try await core.data.datasetVersion(version) }) {
                throw APIError.invalidField(
                    "source.datasetVersionIds.\(index)", "no dataset version \(version) that you can read")
            }
        }
    }
}
