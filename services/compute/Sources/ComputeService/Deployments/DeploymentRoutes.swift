import Auth
import Foundation
import Hummingbird
import Platform

/// The deployments API (`/v1/deployments`): serve a model (a hub version's deploy
/// instructions, or any command serving HTTP on `$MLEX_ENDPOINT_SOCKET`) as replicas behind one
/// endpoint (docs/deployments.md).
enum DeploymentRoutes {
    static let deploymentSchema = Schema.object([
        "id": Schema.id, "projectId": Schema.id, "name": Schema.string, "owner": Schema.string,
        "state": Schema.enumeration(["active", "idle", "stopped"]), "spec": Schema.anyObject,
        "replicaJobs": Schema.array(of: Schema.id), "restarts": Schema.integer, "crashLoop": Schema.integer,
        "lastRestartAt": Schema.dateTime, "lastColdStartSeconds": Schema.number, "message": Schema.string,
        "endpointPath": Schema.string,
        "replicas": Schema.array(
            of: Schema.object(["jobId": Schema.id, "state": Schema.string, "answered": Schema.boolean])),
        "createdAt": Schema.dateTime, "updatedAt": Schema.dateTime,
    ])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ deployments: Deployments) {
        api.schema("Deployment", deploymentSchema)
        api.post(
            "/v1/deployments",
            OperationDoc(
                "Deploy a model as a service (editors of its project): `replicas` (1 to 16) jobs, each running the command (or template, image, code package) and serving HTTP on the Unix socket $MLEX_ENDPOINT_SOCKET, answer at /deployments/{id}/ through the gateway in turn; replicas that end are replaced; `idleSeconds` without a request scales it to zero and the next request starts it; `inputSchema` (a parameter schema) checks each record of POST …/invocations",
                tags: ["deployments"],
                body: Schema.object(
                    [
                        "projectId": Schema.id, "name": Schema.string, "image": Schema.string,
                        "template": Schema.string, "command": Schema.array(of: Schema.string),
                        "codePackage": Schema.string, "inputs": Schema.array(of: Schema.id), "env": Schema.anyObject,
                        "params": Schema.anyObject, "resources": Schema.anyObject, "queue": Schema.string,
                        "priority": Schema.integer, "modelVersionId": Schema.id, "replicas": Schema.integer,
                        "idleSeconds": Schema.integer, "inputSchema": Schema.anyObject,
                    ], required: ["projectId"]),
                status: 201, response: Schema.ref("Deployment"))
        ) { request, context in
            let spec = try await request.decodeJSON(as: DeploymentSpec.self, context: context)
            let deployment = try await deployments.create(spec, by: try context.requirePrincipal())
            return JSONResponse(try await deployments.view(deployment), status: .created)
        }

        api.get(
            "/v1/deployments",
            OperationDoc(
                "Deployments, newest first: of a project (viewers), else the caller's own",
                tags: ["deployments"],
                query: [.init("projectId", Schema.id, "deployments of this project")],
                response: Schema.object(["items": Schema.array(of: Schema.ref("Deployment"))]))
        ) { request, context in
            let principal = try context.requirePrincipal()
            var filter: JSONValue = ["owner": .string(principal.id)]
            if let project = request.uri.queryParameters.get("projectId") {
                try await deployments.core.authorizer.require(.viewer, on: project, for: principal)
                filter = ["projectId": .string(project)]
            }
            let found = try await deployments.core.store.find(
                DeploymentRecord.self, .init(filter: filter, sort: [.descending("createdAt")]))
            var items: [JSONValue] = []
            for deployment in found { items.append(try await deployments.view(deployment)) }
            return JSONResponse(["items": .array(items)] as JSONValue)
        }

        api.get(
            "/v1/deployments/{id}",
            OperationDoc(
                "A deployment (viewers): its state, replicas and their jobs, restarts, last cold start",
                tags: ["deployments"], response: Schema.ref("Deployment"))
        ) { _, context in
            let deployment = try await deployments.visible(
                try context.parameters.requireID("id"), context, needs: .viewer)
            return JSONResponse(try await deployments.view(deployment))
        }

        api.delete(
            "/v1/deployments/{id}",
            OperationDoc(
                "Stop a deployment (editors): its replicas are cancelled and it answers 503 from then on; the record stays",
                tags: ["deployments"], response: Schema.ref("Deployment"))
        ) { _, context in
            let found = try await deployments.visible(try context.parameters.requireID("id"), context, needs: .editor)
            let by = try context.requirePrincipal().id
            let stopped = try await deployments.stopReplicas(
                found.id, becoming: .stopped, by: by, message: "stopped by \(by)")
            return JSONResponse(try await deployments.view(stopped))
        }
    }
}
