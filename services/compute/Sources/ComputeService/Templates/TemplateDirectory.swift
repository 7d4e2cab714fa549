import Auth
import Foundation
import Platform
import Store

/// Templates in compute's store (`templates`, names unique over all of them): who may see and
/// manage which, their writes with their `template.<verb>` events, and a job's resolution.
struct TemplateDirectory: Sendable {
    let core: ComputeCore
    var store: any DocumentStore { core.store }

    static let collection = "templates"

    func named(_ name: String) async throws -> JSONValue? {
        guard JobTemplate.isValidName(name) else { return nil }
        return try await store.find(Self.collection, Query(filter: ["name": .string(name)], limit: 1)).first
    }

    /// The template when the caller may see it (global ones everyone; a project's, its viewers);
    /// 404 otherwise, as if it did not exist.
    func visible(_ name: String, to principal: Principal) async throws -> JSONValue {
        guard let template = try await named(name), try await canSee(template, principal) else { throw APIError.notFound("no template \(name)") }
        return template
    }

    func canSee(_ template: JSONValue, _ principal: Principal) async throws -> Bool {
        guard let project = template["projectId"]?.stringValue else { return true }
        return try await core.authorizer.role(of: principal, on: project) != nil
    }

    /// Global templates are the administrators'; a project's, its owners'. 403 (or 404 for a
    /// project the caller has no role in) otherwise.
    func requireManager(of projectID: String?, _ principal: Principal) async throws {
        if let projectID {
            try await core.authorizer.require(.owner, on: projectID, for: principal)
        } else {
            guard principal.isAdmin else { throw APIError.forbidden("global templates are managed by administrators; a project's owners may add templates to their project (projectId)") }
        }
    }

    /// Stores a new template; 409 naming `name` when the name is taken (by any template).
    func create(_ template: JobTemplate, by creator: String) async throws -> JSONValue {
        let now = Timestamp.now
        var document = try Self.document(template)
        document["id"] = .string(ID.make())
        document["createdBy"] = .string(creator)
        document["createdAt"] = .string(now)
        document["updatedAt"] = .string(now)
        do {
            try await store.batch([.insert(document, into: Self.collection), ComputeEvents.write("template.created", subject: document["id"]!.stringValue!, document)])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict("a template named \(template.name) exists", code: "duplicate", field: "name")
        }
        return document
    }

    /// Replaces `existing` with `template` (same name), keeping its id and creation.
    func replace(_ existing: JSONValue, with template: JobTemplate) async throws -> JSONValue {
        var document = try Self.document(template)
        for key in ["id", "createdBy", "createdAt"] { document[key] = existing[key] }
        document["updatedAt"] = .string(Timestamp.now)
        let id = existing["id"]!
        try await store.batch([
            .delete(Self.collection, filter: ["id": id]), .insert(document, into: Self.collection),
            ComputeEvents.write("template.updated", subject: id.stringValue!, document),
        ])
        return document
    }

    func delete(_ existing: JSONValue) async throws {
        let id = existing["id"]!
        try await store.batch([.delete(Self.collection, filter: ["id": id]), ComputeEvents.write("template.deleted", subject: id.stringValue!, existing)])
    }

    /// The stored form: the template as given, with its defaults resolved so readers see what a
    /// job will get.
    static func document(_ template: JobTemplate) throws -> JSONValue {
        var document = try JSONValue(encoding: template)
        document["defaultResources"] = try JSONValue(encoding: template.resolvedDefaults)
        return document
    }

    /// What `spec` runs: itself when it names no template; else the template's image, defaults,
    /// environment and setup applied. 400 naming `image` when the spec gives an image too, and
    /// `template` when there is no such template for the job's project.
    func resolve(_ spec: JobSpec) async throws -> ResolvedJob {
        let defaultDiskMB = core.settings.defaultDiskMB
        guard let name = spec.template else { return ResolvedJob(spec, defaultDiskMB: defaultDiskMB) }
        guard spec.image == nil else { throw APIError.invalidField("image", "give an image or a template, not both: the template says what the job runs on") }
        guard let found = try await named(name), [nil, spec.projectId].contains(found["projectId"]?.stringValue) else {
            throw APIError.invalidField("template", "no template \(name) for this project; GET /v1/templates lists those it may use")
        }
        return try ResolvedJob(spec, on: found.decoded(as: JobTemplate.self), defaultDiskMB: defaultDiskMB)
    }
}
