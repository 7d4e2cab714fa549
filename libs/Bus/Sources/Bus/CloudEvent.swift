import Foundation
import Platform

/// An event as every topic carries it: CloudEvents 1.0 in JSON (docs/design.md §4). `subject` is the
/// entity id and the partitioning key, so one entity's events stay in order.
public struct CloudEvent: Codable, Sendable, Hashable {
    public var specversion = "1.0"
    public var id: String
    /// The producing service, e.g. `/mlex/data`.
    public var source: String
    /// `mlex.<domain>.<entity>.<verb>`, e.g. `mlex.data.run.finished`.
    public var type: String
    public var subject: String
    public var time: Date
    public var datacontenttype = "application/json"
    /// A full snapshot of the entity, including `projectId`.
    public var data: JSONValue

    public init(
        id: String = ID.make(), source: String, type: String, subject: String, time: Date = Date(), data: JSONValue
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.subject = subject
        self.time = time
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case specversion, id, source, type, subject, time, datacontenttype, data
    }

    // `time` keeps milliseconds (RFC 3339 with a fraction): events from one entity can be
    // milliseconds apart, and consumers order and deduplicate by what they read.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        specversion = try container.decode(String.self, forKey: .specversion)
        id = try container.decode(String.self, forKey: .id)
        source = try container.decode(String.self, forKey: .source)
        type = try container.decode(String.self, forKey: .type)
        subject = try container.decode(String.self, forKey: .subject)
        datacontenttype = try container.decodeIfPresent(String.self, forKey: .datacontenttype) ?? "application/json"
        data = try container.decode(JSONValue.self, forKey: .data)
        let text = try container.decode(String.self, forKey: .time)
        guard let parsed = Timestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .time, in: container, debugDescription: "not an RFC 3339 time: \(text)")
        }
        time = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(specversion, forKey: .specversion)
        try container.encode(id, forKey: .id)
        try container.encode(source, forKey: .source)
        try container.encode(type, forKey: .type)
        try container.encode(subject, forKey: .subject)
        try container.encode(Timestamp.format(time), forKey: .time)
        try container.encode(datacontenttype, forKey: .datacontenttype)
        try container.encode(data, forKey: .data)
    }
}

extension CloudEvent {
    /// The event as a JSON object: how the outbox stores it and how the bus writes it
    /// (JSONValue's own writer, cheaper than JSONEncoder on the publish path).
    public var json: JSONValue {
        [
            "specversion": .string(specversion), "id": .string(id), "source": .string(source), "type": .string(type),
            "subject": .string(subject), "time": .string(Timestamp.format(time)),
            "datacontenttype": .string(datacontenttype), "data": data,
        ]
    }

    /// Reads what `json` wrote (or any CloudEvents 1.0 JSON object); names the missing member.
    public init(json: JSONValue) throws {
        func text(_ key: String) throws -> String {
            guard let value = json[key]?.stringValue else {
                throw BusError(.invalidEvent, "a CloudEvent needs a string \(key)")
            }
            return value
        }
        let time = try text("time")
        guard let parsed = Timestamp.parse(time) else {
            throw BusError(.invalidEvent, "a CloudEvent's time is RFC 3339, not \(time.prefix(40))")
        }
        self.init(
            id: try text("id"), source: try text("source"), type: try text("type"), subject: try text("subject"),
            time: parsed, data: json["data"] ?? .null)
        specversion = try text("specversion")
        datacontenttype = json["datacontenttype"]?.stringValue ?? "application/json"
    }
}
