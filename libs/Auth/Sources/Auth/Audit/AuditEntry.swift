import Bus
import Foundation
import Platform

/// One state-changing request as the audit log keeps it: who, what, when, from where, and how
/// it ended. Never the request's body (it may hold secrets), only what is named here.
///
/// Published as the `data` of a `mlex.audit.entry.recorded` event on `mlex.audit`
/// (`AuditTrail.topic`); the users service stores and serves them (`GET /v1/audit`).
public struct AuditEntry: Sendable, Hashable {
    public enum ActorKind: String, Sendable {
        case user, service, anonymous
    }

    /// Who made the request; for a sign-in, `name` is the account tried.
    public struct Actor: Sendable, Hashable {
        public var kind: ActorKind
        /// The user's id or the service's name; nil when anonymous.
        public var id: String?
        /// The API token's id or the login session's.
        public var tokenID: String?
        public var name: String?

        public init(kind: ActorKind, id: String? = nil, tokenID: String? = nil, name: String? = nil) {
            self.kind = kind
            self.id = id
            self.tokenID = tokenID
            self.name = name
        }

        public init(_ principal: Principal) {
            self.init(kind: principal.kind == .service ? .service : .user, id: principal.id, tokenID: principal.tokenID)
        }
    }

    /// `ok` for 1xx–3xx, `denied` for 401 and 403, `failed` for every other status.
    public enum Result: String, Sendable {
        case ok, denied, failed

        public init(status: Int) {
            switch status {
            case ..<400: self = .ok
            case 401, 403: self = .denied
            default: self = .failed
            }
        }
    }

    public var id: String
    public var time: Date
    public var service: String
    public var actor: Actor
    public var method: String
    /// The matched route's pattern, `/v1/runs/{id}/logs`.
    public var route: String
    public var path: String
    public var entityID: String?
    public var projectID: String?
    public var status: Int
    public var result: Result { Result(status: status) }
    /// The client: the last `X-Forwarded-For` hop (what the gateway saw) or else the peer.
    public var remoteAddress: String?
    /// The address that connected to the service (the gateway, when it forwarded the request).
    public var peerAddress: String?
    public var requestID: String

    public init(
        id: String = ID.make(), time: Date = Date(), service: String, actor: Actor, method: String, route: String,
        path: String, entityID: String? = nil, projectID: String? = nil, status: Int, remoteAddress: String? = nil,
        peerAddress: String? = nil, requestID: String
    ) {
        self.id = id
        self.time = time
        self.service = service
        self.actor = actor
        self.method = method
        self.route = route
        self.path = path
        self.entityID = entityID
        self.projectID = projectID
        self.status = status
        self.remoteAddress = remoteAddress
        self.peerAddress = peerAddress
        self.requestID = requestID
    }

    /// The entry in the platform's JSON spelling (camelCase, RFC 3339 times; absent fields omitted).
    public var json: JSONValue {
        var actorJSON: [String: JSONValue] = ["kind": .string(actor.kind.rawValue)]
        actorJSON["id"] = actor.id.map(JSONValue.string)
        actorJSON["tokenId"] = actor.tokenID.map(JSONValue.string)
        actorJSON["name"] = actor.name.map(JSONValue.string)
        var object: [String: JSONValue] = [
            "id": .string(id), "time": .string(Timestamp.format(time)), "service": .string(service),
            "actor": .object(actorJSON), "method": .string(method), "route": .string(route), "path": .string(path),
            "status": .int(Int64(status)), "result": .string(result.rawValue), "requestId": .string(requestID),
        ]
        object["entityId"] = entityID.map(JSONValue.string)
        object["projectId"] = projectID.map(JSONValue.string)
        object["remoteAddress"] = remoteAddress.map(JSONValue.string)
        object["peerAddress"] = peerAddress.map(JSONValue.string)
        return .object(object)
    }

    /// The event announcing it. The entry is its own entity: its id is the subject (the bus
    /// key) and the event's id too, so a consumer deduplicating by event id stores it once.
    public var event: CloudEvent {
        CloudEvent(
            id: id, source: "/mlex/\(service)", type: AuditTrail.eventType, subject: id, time: time, data: json)
    }
}
