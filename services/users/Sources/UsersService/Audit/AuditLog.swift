import Auth
import Bus
import Foundation
import Logging
import Outbox
import Platform
import Store

/// The platform's audit log, kept queryable here: every service publishes its entries on
/// `mlex.audit` (`AuditTrail`, libs/Auth) and this consumer stores them, once each, in
/// `audit_entries` (db/users/collections.json).
struct AuditLog: Sendable {
    static let collection = "audit_entries"
    static let group = "users.audit"

    let store: any DocumentStore
    let directory: UserDirectory

    /// The consumer that fills the log, one of the service's `Service`s.
    func consumer(bus: any Bus, logger: Logger) -> EventConsumer {
        EventConsumer(group: Self.group, topic: AuditTrail.topic, bus: bus, store: store, logger: logger) { delivery in
            try await writes(for: delivery.event)
        }
    }

    /// The insert an audit event causes: none when the entry is stored already (the entry's id
    /// is the document's, so a relay or consumer repeating itself stores nothing twice).
    func writes(for event: CloudEvent) async throws -> [WriteOperation] {
        guard event.type == AuditTrail.eventType, case .object(var entry) = event.data,
            let id = entry["id"]?.stringValue, ID.isValid(id),
            let time = entry["time"]?.stringValue.flatMap(Timestamp.parse)
        else { return [] }
        if try await store.get(id, from: Self.collection) != nil { return [] }
        entry["timeMs"] = .int(Self.milliseconds(time))
        if entry["projectId"] == nil, let entity = entry["entityId"]?.stringValue,
            let project = try await project(ofEntity: entity)
        {
            entry["projectId"] = .string(project)
        }
        if case .object(var actor) = entry["actor"], actor["kind"] == "user", actor["email"] == nil,
            let userID = actor["id"]?.stringValue, let user = try await directory.user(id: userID)
        {
            actor["email"] = .string(user.email)
            entry["actor"] = .object(actor)
        }
        return [.insert(.object(entry), into: Self.collection)]
    }

    /// The project an entity belongs to, as an earlier entry about it recorded: a log append or
    /// a tag names only its run, whose creation named the project.
    func project(ofEntity entity: String) async throws -> String? {
        try await store.find(
            Self.collection,
            Query(
                filter: ["entityId": .string(entity), "projectId": ["$exists": true]], sort: [.descending("id")],
                limit: 1)
        ).first?["projectId"]?.stringValue
    }

    /// One page of entries matching `filter`, in `order` by id (UUIDv7: time order).
    func page(_ filter: AuditFilter, limit: Int, after: String?) async throws -> [JSONValue] {
        let sort: SortKey = filter.oldestFirst ? .ascending("id") : .descending("id")
        return try await store.find(
            Self.collection,
            Query(filter: filter.storeFilter, sort: [sort], limit: limit, after: after.map { ["id": .string($0)] })
        ).map(Self.view)
    }

    /// Deletes entries recorded before `cutoff`; how many.
    @discardableResult
    func prune(before cutoff: Date) async throws -> Int {
        try await store.delete(Self.collection, filter: ["timeMs": ["$lt": .int(Self.milliseconds(cutoff))]])
    }

    /// An entry as the API shows it: without the stored-only `timeMs`.
    static func view(_ document: JSONValue) -> JSONValue {
        var view = document
        view["timeMs"] = nil
        return view
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}
