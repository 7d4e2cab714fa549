import Auth
import Foundation
import Platform
import Store

/// Templates in compute's store (`templates`, names unique over all of them): who may see and
/// manage which, their writes with their `template.<verb>` events, and a job's resolution.
struct TemplateDirectory: Sendable {
    let core: ComputeCore
    var store: any DocumentStore { core.store }

    func named(_ name: String) async throws -> TemplateRecord? {
        guard JobTemplate.isValidName(name) else { return nil }
        return try await store.find(TemplateRecord.self, Query(filter: ["name": .string(name)], limit: 1)).first
    }

    /// One page of the templates matching `filter`, oldest first, whoever may see them.
    func page(_ filter: JSONValue, after: String?, limit: Int) async throws -> [TemplateRecord] {
        try await store.find(
            TemplateRecord.self,
            Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] }))
    }

    /// The template when the caller may see it (global ones everyone; a project's, its viewers);
    /// 404 otherwise, as if it did not exist.
    func visible(_ name: String, to principal: Principal) async throws -> TemplateRecord {
        guard let record = try await named(name), try await canSee(record, principal) else {
            throw APIError.notFound("no template \(name)")
        }
        return record
    }

    func canSee(_ record: TemplateRecord, _ principal: Principal) async throws -> Bool {
        guard let project = record.template.projectId else { return true }
        return try await core.authorizer.role(of: principal, on: project) != nil
    }

    /// Global templates are the administrators'; a project's, its owners'. 403 (or 404 for a
    /// project the caller has no role in) otherwise.
    func requireManager(of projectID: String?, _ principal: Principal) async throws {
        if let projectID {
            try await core.authorizer.require(.owner, on: projectID, for: principal)
        } else {
            guard principal.isAdmin else {
                throw APIError.forbidden(
                    "global templates are managed by administrators; a project's owners may add templates to their project (projectId)"
                )
            }
        }
    }

    /// Stores a new template; 409 naming `name` when the name is taken (by any template).
    func create(_ template: JobTemplate, by creator: String) async throws -> TemplateRecord {
        let now = Timestamp.now
        let record = TemplateRecord(id: ID.make(), template, createdBy: creator, createdAt: now, updatedAt: now)
        let document = try record.document()
        do {
            try await store.batch([
                .insert(document, into: TemplateRecord.collection),
                ComputeEvents.write("template.created", subject: record.id, document),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict("a template named \(template.name) exists", code: "duplicate", field: "name")
        }
        return record
    }

    /// Replaces `existing` with `template` (same name), keeping its id and creation.
    func replace(_ existing: TemplateRecord, with template: JobTemplate) async throws -> TemplateRecord {
        let record = TemplateRecord(
            id: existing.id, template, createdBy: existing.createdBy, createdAt: existing.createdAt,
            updatedAt: Timestamp.now)
        let document = try record.document()
        try await store.batch([
            .delete(TemplateRecord.collection, filter: ["id": .string(record.id)]),
            .insert(document, into: TemplateRecord.collection),
            ComputeEvents.write("template.updated", subject: record.id, document),
        ])
        return record
    }

    func delete(_ existing: TemplateRecord) async throws {
        try await store.batch([
            .delete(TemplateRecord.collection, filter: ["id": .string(existing.id)]),
            ComputeEvents.write("template.deleted", subject: existing.id, try existing.document()),
        ])
    }

    /// What `spec` runs: itself when it names no template; else the template's image, defaults,
    /// environment and setup applied. 400 naming `image` when the spec gives an image too, and
    /// `template` when there is no such template for the job's project.
    func resolve(_ spec: JobSpec) async throws -> ResolvedJob {
        let defaultDiskMB = core.settings.defaultDiskMB
        guard let name = spec.template else { return ResolvedJob(spec, defaultDiskMB: defaultDiskMB) }
        guard spec.image == nil else {
            throw APIError.invalidField(
                "image", "give an image or a template, not both: the template says what the job runs on")
        }
        guard let found = try await named(name), [nil, spec.projectId].contains(found.template.projectId) else {
            throw APIError.invalidField(
                "template", "no template \(name) for this project; GET /v1/templates lists those it may use")
        }
        return try ResolvedJob(spec, on: found.template, defaultDiskMB: defaultDiskMB)
    }
}
