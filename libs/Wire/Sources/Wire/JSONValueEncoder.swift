import Foundation

/// Encodes a value straight into a `JSONValue`, giving the document `JSONEncoder.api` text
/// parsed by `JSONValue.parse` gave (the shape stored documents already have), without the text.
///
/// It follows Foundation's JSONEncoder (swift-foundation, FoundationEssentials) closely, quirks
/// included: dates as `.iso8601` strings, Data as base64, URL as its absoluteString, Decimal as
/// a number; whole doubles as integers (see `TextNumbers`); `EncodingError.invalidValue` for a
/// non-finite number or a top-level value that encodes nothing; the same coding paths.
final class JSONValueEncoder: Encoder {
    /// Where a `superEncoder` puts what was encoded into it, once it is released.
    enum Destination {
        case member(ObjectSlot, String)
        case element(ArraySlot, Int)
    }

    private let parent: JSONValueEncoder?
    private let key: (any CodingKey)?
    private let destination: Destination?

    private var single: JSONValue?
    private var object: ObjectSlot?
    private var array: ArraySlot?

    init(parent: JSONValueEncoder? = nil, key: (any CodingKey)? = nil, destination: Destination? = nil) {
        self.parent = parent
        self.key = key
        self.destination = destination
    }

    deinit {
        guard let destination else { return }
        let value = takeValue() ?? .object([:])
        switch destination {
        case .member(let slot, let key): slot.set(value, for: key)
        case .element(let slot, let index): slot.insert(value, at: index)
        }
    }

    static func encode<Value: Encodable>(_ value: Value) throws -> JSONValue {
        guard let document = try JSONValueEncoder().wrap(value, for: nil) else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "Top-level \(Value.self) did not encode any values."))
        }
        return document
    }

    /// Built on demand from the keys up the chain: only errors and a few hand-written
    /// `encode(to:)` ask for it. As in JSONEncoder, it does not include nested containers' keys.
    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var encoder: JSONValueEncoder? = self
        while let current = encoder, let key = current.key {
            path.append(key)
            encoder = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if let object { return KeyedEncodingContainer(KeyedContainer(encoder: self, slot: object)) }
        if case .object(let members)? = single {
            single = nil
            let slot = ObjectSlot(members: members)
            object = slot
            return KeyedEncodingContainer(KeyedContainer(encoder: self, slot: slot))
        }
        precondition(
            single == nil && array == nil,
            "Attempt to push new keyed encoding container when already previously encoded at this path.")
        let slot = ObjectSlot()
        object = slot
        return KeyedEncodingContainer(KeyedContainer(encoder: self, slot: slot))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if let array { return UnkeyedContainer(encoder: self, slot: array) }
        if case .array(let elements)? = single {
            single = nil
            let slot = ArraySlot(elements: elements)
            array = slot
            return UnkeyedContainer(encoder: self, slot: slot)
        }
        precondition(
            single == nil && object == nil,
            "Attempt to push new unkeyed encoding container when already previously encoded at this path.")
        let slot = ArraySlot()
        array = slot
        return UnkeyedContainer(encoder: self, slot: slot)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        self
    }

    /// What was encoded here, and ready for the next value: nil when nothing was.
    private func takeValue() -> JSONValue? {
        if let object {
            self.object = nil
            return object.value
        }
        if let array {
            self.array = nil
            return array.value
        }
        defer { single = nil }
        return single
    }

    /// `value` as a document. Under a key (or index) it is encoded by a new encoder one level
    /// down; without one, by this encoder, as JSONEncoder does for single values.
    func wrap<Value: Encodable>(_ value: Value, for key: (any CodingKey)?) throws -> JSONValue? {
        if let special = try wrapSpecial(value, for: key) { return special }
        let encoder = key.map { JSONValueEncoder(parent: self, key: $0) } ?? self
        try value.encode(to: encoder)
        return encoder.takeValue()
    }

    /// The types JSONEncoder writes its own way, and shortcuts that give what the long way would.
    private func wrapSpecial<Value: Encodable>(_ value: Value, for key: (any CodingKey)?) throws -> JSONValue? {
        if Value.self == JSONValue.self, let member = value as? JSONValue {
            // The long way is taken only to report a non-finite double where JSONEncoder would.
            return TextNumbers.encodedMember(member)
        }
        if Value.self == [String: JSONValue].self, let members = value as? [String: JSONValue] {
            return TextNumbers.encodedMember(.object(members))
        }
        if Value.self == String.self, let text = value as? String { return .string(text) }
        if Value.self == [String].self, let texts = value as? [String] { return .array(texts.map(JSONValue.string)) }
        if Value.self == Date.self, let date = value as? Date { return .string(date.formatted(.iso8601)) }
        if Value.self == Data.self, let data = value as? Data { return .string(data.base64EncodedString()) }
        if Value.self == URL.self, let url = value as? URL { return .string(url.absoluteString) }
        if Value.self == Decimal.self, let decimal = value as? Decimal {
            return try JSONValue.parse(decimal.description)
        }
        return nil
    }

    func number(_ value: Double, for key: (any CodingKey)?) throws -> JSONValue {
        guard value.isFinite else { throw nonFinite(value, for: key) }
        return try TextNumbers.encoded(value)
    }

    func number(_ value: Float, for key: (any CodingKey)?) throws -> JSONValue {
        guard value.isFinite else { throw nonFinite(value, for: key) }
        return try TextNumbers.encoded(value)
    }

    private func nonFinite<Number: BinaryFloatingPoint>(_ value: Number, for key: (any CodingKey)?) -> EncodingError {
        .invalidValue(
            value,
            .init(
                codingPath: codingPath.appending(key),
                debugDescription: "Unable to encode \(Number.self).\(value) directly in JSON."))
    }
}

extension JSONValueEncoder: SingleValueEncodingContainer {
    private func put(_ value: JSONValue) {
        precondition(
            single == nil,
            "Attempt to encode value through single value container when previously value already encoded.")
        single = value
    }

    func encodeNil() throws { put(.null) }
    func encode(_ value: Bool) throws { put(.bool(value)) }
    func encode(_ value: String) throws { put(.string(value)) }
    func encode(_ value: Double) throws { put(try number(value, for: nil)) }
    func encode(_ value: Float) throws { put(try number(value, for: nil)) }
    func encode(_ value: Int) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: Int8) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: Int16) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: Int32) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: Int64) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: Int128) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: UInt) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: UInt8) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: UInt16) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: UInt32) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: UInt64) throws { put(TextNumbers.encoded(value)) }
    func encode(_ value: UInt128) throws { put(TextNumbers.encoded(value)) }

    func encode<Value: Encodable>(_ value: Value) throws {
        precondition(
            single == nil,
            "Attempt to encode value through single value container when previously value already encoded.")
        single = try wrap(value, for: nil) ?? .object([:])
    }
}
