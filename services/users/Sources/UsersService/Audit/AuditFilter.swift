import Foundation
import Hummingbird
import Platform

/// What `GET /v1/audit` was asked for: `projectId`, `actor` (a user id or a service's name),
/// `service`, `from`/`to` (RFC 3339; from inclusive, to exclusive), `route`, `method`,
/// `result`, and `order` (`newest`, the default, or `oldest`). A bad value is 400 naming it.
struct AuditFilter: Sendable {
    var projectID: String?
    var actor: String?
    var service: String?
    var from: Date?
    var to: Date?
    var route: String?
    var method: String?
    var result: String?
    var oldestFirst = false

    static let parameters: [OperationDoc.QueryParameter] = [
        .init("projectId", Schema.id, "entries of this project (required unless you are an administrator)"),
        .init("actor", Schema.string, "entries made by this user id or service name"),
        .init("service", Schema.string, "entries recorded by this service (users, data, compute, …)"),
        .init("from", Schema.dateTime, "entries at or after this time"),
        .init("to", Schema.dateTime, "entries before this time"),
        .init("route", Schema.string, "the route pattern, e.g. /v1/runs/{id}/logs"),
        .init("method", Schema.string, "POST, PUT, PATCH or DELETE"),
        .init("result", Schema.enumeration(["ok", "denied", "failed"]), "how the request ended"),
        .init("order", Schema.enumeration(["newest", "oldest"]), "newest first (default) or oldest first"),
    ]

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        func text(_ name: String) -> String? { query.get(name).flatMap { $0.isEmpty ? nil : $0 } }
        func time(_ name: String) throws -> Date? {
            guard let value = text(name) else { return nil }
            guard let date = Timestamp.parse(value) else {
                throw APIError.invalidField(name, "\(name) is an RFC 3339 time, e.g. 2026-01-31T12:00:00Z")
            }
            return date
        }
        projectID = text("projectId")
        if let projectID, !ID.isValid(projectID) { throw APIError.invalidField("projectId", "projectId is an id") }
        actor = text("actor")
        service = text("service")
        from = try time("from")
        to = try time("to")
        route = text("route")
        method = text("method")?.uppercased()
        result = text("result")
        if let result, !["ok", "denied", "failed"].contains(result) {
            throw APIError.invalidField("result", "result is ok, denied or failed")
        }
        switch text("order") ?? "newest" {
        case "newest": oldestFirst = false
        case "oldest": oldestFirst = true
        default: throw APIError.invalidField("order", "order is newest or oldest")
        }
    }

    var storeFilter: JSONValue {
        var filter: [String: JSONValue] = [:]
        filter["projectId"] = projectID.map(JSONValue.string)
        filter["actor.id"] = actor.map(JSONValue.string)
        filter["service"] = service.map(JSONValue.string)
        filter["route"] = route.map(JSONValue.string)
        filter["method"] = method.map(JSONValue.string)
        filter["result"] = result.map(JSONValue.string)
        var time: [String: JSONValue] = [:]
        time["$gte"] = from.map { .int(AuditLog.milliseconds($0)) }
        time["$lt"] = to.map { .int(AuditLog.milliseconds($0)) }
        if !time.isEmpty { filter["timeMs"] = .object(time) }
        return .object(filter)
    }
}
