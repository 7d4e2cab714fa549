import Auth
import Foundation
import Hummingbird
import Platform

/// The tags API: an entity's tags (read, add, remove), the entities carrying a tag, and a
/// project's tag counts. Rights follow the entity's project: viewers read, editors tag.
enum TagRoutes {
    static let tagSchema = Schema.object(
        [
            "tag": Schema.string, "key": Schema.string, "value": Schema.string,
            "kind": Schema.enumeration(EntityKind.allCases.map(\.rawValue)),
            "entityId": Schema.id, "projectId": Schema.id, "createdBy": Schema.string, "createdAt": Schema.dateTime,
        ],
        required: ["tag", "key", "kind", "entityId", "projectId", "createdAt"]
    )

    static func register(_ api: APIBuilder<AuthRequestContext>, _ core: TagCore) {
        api.schema("Tag", tagSchema)
        let items = Schema.object(["items": Schema.array(of: Schema.ref("Tag"))], required: ["items"])

        api.get(
            "/v1/entities/{kind}/{id}/tags",
            OperationDoc(
                "An entity's tags (viewers of its project); kinds: \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))",
                tags: ["tags"], response: items
            )
        ) { _, context in
            let entity = try await core.entity(context, needs: .viewer)
            return JSONResponse(try tagList(try await core.directory.tags(of: entity)))
        }

        api.post(
            "/v1/entities/{kind}/{id}/tags",
            OperationDoc(
                "Tag an entity (editors of its project): `key` or `key:value`; a key holds one value, so a new value replaces the old. Answers the entity's tags; `mlex.tags.tag.changed` announces the change",
                tags: ["tags"], body: Schema.object(["tags": Schema.array(of: Schema.string)], required: ["tags"]),
                response: items
            )
        ) { request, context in
            let entity = try await core.entity(context, needs: .editor)
            let addition = try await request.decodeJSON(as: TagAddition.self, context: context)
            let principal = try context.requirePrincipal()
            return JSONResponse(try tagList(try await core.directory.add(addition.tags, to: entity, by: principal.id)))
        }

        api.delete(
            "/v1/entities/{kind}/{id}/tags",
            OperationDoc(
                "Remove the tag with `key` (and `value`, when given) from an entity (editors of its project)",
                tags: ["tags"],
                query: [
                    .init("key", Schema.string, "the tag's key", required: true),
                    .init("value", Schema.string, "only if it holds this value"),
                ], status: 204
            )
        ) { request, context in
            let entity = try await core.entity(context, needs: .editor)
            let query = request.uri.queryParameters
            guard let key = query.get("key"), !key.isEmpty else {
                throw APIError.invalidField("key", "name the tag's key: ?key=stage")
            }
            guard try await core.directory.remove(key: key, value: query.get("value"), from: entity) else {
                throw APIError.notFound(
                    "the \(entity.kind.rawValue) has no tag \(key)\(query.get("value").map { ":\($0)" } ?? "")")
            }
            return HTTPResponse.Status.noContent
        }

        api.get(
            "/v1/projects/{id}/tagged",
            OperationDoc(
                "The project's entities carrying a tag (viewers), by entity: `tag=stage` matches every value of the key, `tag=stage:prod` that value",
                tags: ["tags"],
                query: PageRequest.parameters() + [
                    .init("tag", Schema.string, "key or key:value", required: true),
                    .init("kind", Schema.string, "only entities of this kind"),
                ],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.ref("Tag")), "nextAfter": Schema.string], required: ["items"])
            )
        ) { request, context in
            let projectID = try context.parameters.requireID("id")
            try await core.authorizer.require(.viewer, on: projectID, for: try context.requirePrincipal())
            let query = request.uri.queryParameters
            let tag = try Tag(parsing: query.get("tag") ?? "", field: "tag")
            let paging = try PageRequest(request)
            let found = try await core.directory.tagged(
                projectID: projectID, key: tag.key, value: tag.value, kind: try query.get("kind").map(TagCore.kind),
                limit: paging.limit, after: paging.after
            )
            var body = try tagList(found)
            if found.count == paging.limit, let last = found.last { body["nextAfter"] = .string(last.id) }
            return JSONResponse(body)
        }

        api.get(
            "/v1/projects/{id}/tags",
            OperationDoc(
                "How many entities of the project carry each tag, most used first (viewers)", tags: ["tags"],
                query: [.init("kind", Schema.string, "count only entities of this kind")],
                response: Schema.object(
                    [
                        "items": Schema.array(
                            of: Schema.object([
                                "tag": Schema.string, "key": Schema.string, "value": Schema.string,
                                "count": Schema.integer,
                            ]))
                    ], required: ["items"])
            )
        ) { request, context in
            let projectID = try context.parameters.requireID("id")
            try await core.authorizer.require(.viewer, on: projectID, for: try context.requirePrincipal())
            let kind = try request.uri.queryParameters.get("kind").map(TagCore.kind)
            let counts = try await core.directory.counts(projectID: projectID, kind: kind)
            return JSONResponse(["items": .array(try counts.map { try JSONValue(encoding: $0) })] as JSONValue)
        }
    }

    /// `{"items": [...]}` of tags as the API shows them.
    private static func tagList(_ assignments: [TagAssignment]) throws -> JSONValue {
        ["items": .array(try assignments.map { try JSONValue(encoding: $0.entityTag) })]
    }
}
