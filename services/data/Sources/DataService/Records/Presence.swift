/// A member a document may lack, hold as null, or hold a value in: clients see the difference.
/// `trashedAt` is absent on what was never in the trash and null on what came back from it;
/// a run's `parentRunId` is null when it has none.
///
/// Records declare such members as `Presence`; the `KeyedDecodingContainer` and
/// `KeyedEncodingContainer` overloads below are what synthesized `Codable` calls for them, so
/// absent stays absent.
enum Presence<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    case absent
    case null
    case present(Value)

    /// nil as null: a member the record always writes.
    init(_ value: Value?) {
        self = value.map(Presence.present) ?? .null
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .null : .present(try container.decode(Value.self))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .absent, .null: try container.encodeNil()
        case .present(let value): try container.encode(value)
        }
    }
}

extension KeyedDecodingContainer {
    func decode<Value>(_ type: Presence<Value>.Type, forKey key: Key) throws -> Presence<Value> {
        guard contains(key) else { return .absent }
        return try decodeNil(forKey: key) ? .null : .present(try decode(Value.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    mutating func encode<Value>(_ presence: Presence<Value>, forKey key: Key) throws {
        switch presence {
        case .absent: break
        case .null: try encodeNil(forKey: key)
        case .present(let value): try encode(value, forKey: key)
        }
    }
}
