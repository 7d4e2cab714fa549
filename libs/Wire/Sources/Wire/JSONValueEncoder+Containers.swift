extension JSONValueEncoder {
    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: JSONValueEncoder
        let slot: ObjectSlot
        /// Keys of the nested containers this one is inside, below the encoder's own path.
        var nestedPath: [any CodingKey] = []

        var codingPath: [any CodingKey] { encoder.codingPath + nestedPath }

        private func set(_ value: JSONValue, _ key: Key) {
            slot.set(value, for: key.stringValue)
        }

        mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { set(try encoder.number(value, for: key), key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { set(try encoder.number(value, for: key), key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: Int128, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }
        mutating func encode(_ value: UInt128, forKey key: Key) throws { set(TextNumbers.encoded(value), key) }

        mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
            set(try encoder.wrap(value, for: key) ?? .object([:]), key)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            let nested = slot.object(for: key.stringValue)
            return KeyedEncodingContainer(
                KeyedContainer<NestedKey>(encoder: encoder, slot: nested, nestedPath: nestedPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            UnkeyedContainer(encoder: encoder, slot: slot.array(for: key.stringValue), nestedPath: nestedPath + [key])
        }

        mutating func superEncoder() -> any Encoder {
            JSONValueEncoder(
                parent: encoder, key: TreeCodingKey.super, destination: .member(slot, TreeCodingKey.super.stringValue))
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            JSONValueEncoder(parent: encoder, key: key, destination: .member(slot, key.stringValue))
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: JSONValueEncoder
        let slot: ArraySlot
        var nestedPath: [any CodingKey] = []

        var codingPath: [any CodingKey] { encoder.codingPath + nestedPath }
        var count: Int { slot.count }

        /// The key JSONEncoder blames for the next element.
        private var nextKey: TreeCodingKey { .index(slot.count) }

        mutating func encodeNil() throws { slot.append(.null) }
        mutating func encode(_ value: Bool) throws { slot.append(.bool(value)) }
        mutating func encode(_ value: String) throws { slot.append(.string(value)) }
        mutating func encode(_ value: Double) throws { slot.append(try encoder.number(value, for: nextKey)) }
        mutating func encode(_ value: Float) throws { slot.append(try encoder.number(value, for: nextKey)) }
        mutating func encode(_ value: Int) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: Int8) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: Int16) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: Int32) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: Int64) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: Int128) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: UInt) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: UInt8) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: UInt16) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: UInt32) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: UInt64) throws { slot.append(TextNumbers.encoded(value)) }
        mutating func encode(_ value: UInt128) throws { slot.append(TextNumbers.encoded(value)) }

        mutating func encode<Value: Encodable>(_ value: Value) throws {
            slot.append(try encoder.wrap(value, for: nextKey) ?? .object([:]))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            let key = nextKey
            return KeyedEncodingContainer(
                KeyedContainer<NestedKey>(encoder: encoder, slot: slot.appendObject(), nestedPath: nestedPath + [key]))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let key = nextKey
            return UnkeyedContainer(encoder: encoder, slot: slot.appendArray(), nestedPath: nestedPath + [key])
        }

        /// Its value is inserted where the next element would go now, when it is released.
        mutating func superEncoder() -> any Encoder {
            JSONValueEncoder(parent: encoder, key: nextKey, destination: .element(slot, slot.count))
        }
    }
}
