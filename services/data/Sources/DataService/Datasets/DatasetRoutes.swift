import Auth
import Foundation
import Hummingbird
import Platform

/// Datasets in a project and their versions: editors create datasets and draft versions,
/// upload a draft's files (`/v1/dataset-versions/{id}/files/<path>`) and finalize it, after
/// which it never changes; runs name finalized versions as their inputs (lineage).
enum DatasetRoutes {
    static let dataset = Schema.object(
        [
            "id": Schema.id, "projectId": Schema.id, "name": Schema.string, "description": Schema.string,
            "versionCount": Schema.integer,
            "lifecycle": Schema.enumeration(Lifecycle.allCases.map(\.rawValue)), "createdBy": Schema.string,
            "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime,
        ],
        required: ["id", "projectId", "name", "lifecycle", "createdAt"]
    )
    static let version = Schema.object(
        [
            "id": Schema.id, "datasetId": Schema.id, "projectId": Schema.id, "number": Schema.integer,
            "description": Schema.string, "schema": Schema.anyObject,
            "state": Schema.enumeration(DatasetVersion.State.allCases.map(\.rawValue)), "fileCount": Schema.integer,
            "size": Schema.integer,
            "lifecycle": Schema.enumeration(Lifecycle.allCases.map(\.rawValue)), "createdAt": Schema.dateTime,
            "finalizedAt": Schema.dateTime,
        ],
        required: ["id", "datasetId", "projectId", "number", "state", "lifecycle", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: DataCore, maxFileBytes: Int64) {
        api.schema("Dataset", dataset)
        api.schema("DatasetVersion", version)
        let datasets = core.datasets
        let page = Schema.object(
            ["items": Schema.array(of: Schema.ref("Dataset")), "nextAfter": Schema.id], required: ["items"])

        api.post(
            "/v1/projects/{id}/datasets",
            OperationDoc(
                "Create a dataset; its name is unique in the project (editors)", tags: ["datasets"],
                body: NamedCreation.schema, status: 201, response: Schema.ref("Dataset")
            )
        ) { request, context in
            let (project, _) = try await core.project(try context.parameters.requireID("id"), context, needs: .editor)
            let (name, description) = try await request.decodeJSON(as: NamedCreation.self, context: context).validated()
            let created = Dataset(
                name: name, description: description, in: project.id, createdBy: try context.requirePrincipal().id)
            try await datasets.create(created)
            return JSONResponse(try created.view(), status: .created)
        }

        api.get(
            "/v1/projects/{id}/datasets",
            OperationDoc(
                "The project's datasets, by id (viewers)", tags: ["datasets"],
                query: PageRequest.parameters() + [Lifecycle.viewParameter], response: page
            )
        ) { request, context in
            let (project, _) = try await core.project(try context.parameters.requireID("id"), context, needs: .viewer)
            let paging = try PageRequest(request)
            let found = try await datasets.datasets(
                in: project.id, lifecycle: try Lifecycle.view(request), limit: paging.limit, after: paging.after)
            return JSONResponse(paging.response(try found.map { try $0.view() }))
        }

        api.get(
            "/v1/datasets/{id}",
            OperationDoc("A dataset (viewers)", tags: ["datasets"], response: Schema.ref("Dataset"))
        ) { _, context in
            JSONResponse(try await core.dataset(try context.parameters.requireID("id"), context, needs: .viewer).view())
        }

        api.delete(
            "/v1/datasets/{id}",
            OperationDoc(
                "Move a dataset to the trash (editors), or with purge=true delete a trashed one with all its versions and files (owners)",
                tags: ["datasets"],
                query: [OperationDoc.purgeParameter], response: OperationDoc.freedBytes
            )
        ) { request, context in
            let found = try await core.dataset(
                try context.parameters.requireID("id"), context, needs: request.wantsPurge ? .owner : .editor,
                trashed: true)
            return JSONResponse(
                ["freedBytes": .int(try await datasets.datasetEntities.remove(found, purge: request.wantsPurge))]
                    as JSONValue)
        }

        api.post(
            "/v1/datasets/{id}/restore",
            OperationDoc(
                "Take a dataset out of the trash (editors)", tags: ["datasets"], response: Schema.ref("Dataset"))
        ) { _, context in
            let found = try await core.dataset(
                try context.parameters.requireID("id"), context, needs: .editor, trashed: true)
            return JSONResponse(try await datasets.datasetEntities.restore(found).view())
        }

        api.post(
            "/v1/datasets/{id}/versions",
            OperationDoc(
                "Start a draft version (editors): upload its files, then finalize it", tags: ["datasets"],
                body: Schema.object(["description": Schema.string, "schema": Schema.anyObject]), status: 201,
                response: Schema.ref("DatasetVersion")
            )
        ) { request, context in
            let dataset = try await core.dataset(try context.parameters.requireID("id"), context, needs: .editor)
            let (description, schema) = try await request.decodeJSON(as: DatasetVersionCreation.self, context: context)
                .validated()
            let created = try await datasets.createVersion(
                of: dataset, description: description, schema: schema, by: try context.requirePrincipal().id)
            return JSONResponse(try created.view(), status: .created)
        }

        api.get(
            "/v1/datasets/{id}/versions",
            OperationDoc(
                "The dataset's versions, oldest first (viewers)", tags: ["datasets"],
                query: PageRequest.parameters() + [Lifecycle.viewParameter],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("DatasetVersion")), "nextAfter": Schema.id],
                    required: ["items"])
            )
        ) { request, context in
            let dataset = try await core.dataset(try context.parameters.requireID("id"), context, needs: .viewer)
            let paging = try PageRequest(request)
            let found = try await datasets.versions(
                of: dataset.id, lifecycle: try Lifecycle.view(request), limit: paging.limit, after: paging.after)
            return JSONResponse(paging.response(try found.map { try $0.view() }))
        }

        api.get(
            "/v1/dataset-versions/{id}",
            OperationDoc("A dataset version (viewers)", tags: ["datasets"], response: Schema.ref("DatasetVersion"))
        ) { _, context in
            JSONResponse(
                try await core.datasetVersion(try context.parameters.requireID("id"), context, needs: .viewer).view())
        }

        api.post(
            "/v1/dataset-versions/{id}/finalize",
            OperationDoc(
                "Seal a draft version: its files can no longer change, and runs may name it as an input (editors)",
                tags: ["datasets"], response: Schema.ref("DatasetVersion")
            )
        ) { _, context in
            let version = try await core.datasetVersion(try context.parameters.requireID("id"), context, needs: .editor)
            return JSONResponse(try await datasets.finalize(version).view())
        }

        api.delete(
            "/v1/dataset-versions/{id}",
            OperationDoc(
                "Move a version to the trash (editors), or with purge=true delete a trashed one and free its files (owners)",
                tags: ["datasets"],
                query: [OperationDoc.purgeParameter], response: OperationDoc.freedBytes
            )
        ) { request, context in
            let found = try await core.datasetVersion(
                try context.parameters.requireID("id"), context, needs: request.wantsPurge ? .owner : .editor,
                trashed: true)
            return JSONResponse(
                ["freedBytes": .int(try await datasets.versionEntities.remove(found, purge: request.wantsPurge))]
                    as JSONValue)
        }

        api.post(
            "/v1/dataset-versions/{id}/restore",
            OperationDoc(
                "Take a version out of the trash (editors)", tags: ["datasets"], response: Schema.ref("DatasetVersion"))
        ) { _, context in
            let found = try await core.datasetVersion(
                try context.parameters.requireID("id"), context, needs: .editor, trashed: true)
            return JSONResponse(try await datasets.versionEntities.restore(found).view())
        }

        FileRoutes.registerOwner(
            api, core, base: "/v1/dataset-versions/{id}", tag: "datasets", maxFileBytes: maxFileBytes
        ) { context, role in
            let version = try await core.datasetVersion(try context.parameters.requireID("id"), context, needs: role)
            if role > .viewer, version.state != .draft {
                throw APIError.conflict(
                    "version \(version.number) is final; start a new version to change its files", code: "version_final"
                )
            }
            return FileOwner.datasetVersion(version)
        }

        LineageRoutes.register(api, core)
    }
}
