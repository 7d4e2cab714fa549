extension JSONValueDecoder {
    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: JSONValueDecoder
        let members: [String: JSONValue]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool {
            members[key.stringValue] != nil
        }

        private func member(_ key: some CodingKey) throws -> JSONValue {
            guard let member = members[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key,
                    .init(
                        codingPath: codingPath,
                        debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
            }
            return member.asWritten
        }

        /// Absent and null are both nil; anything else is read as `decode` would.
        private func ifPresent<Value>(_ key: Key, _ read: (JSONValue) throws -> Value) rethrows -> Value? {
            guard let member = members[key.stringValue]?.asWritten else { return nil }
            if case .null = member { return nil }
            return try read(member)
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            if case .null = try member(key) { return true }
            return false
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
            try decoder.bool(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            try decoder.string(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
            try decoder.double(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
            try decoder.float(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }
        func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 {
            try decoder.integer(try member(key), at: codingPath, key: key)
        }

        func decode<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
            try decoder.unwrap(try member(key), as: type, at: codingPath, key: key)
        }

        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
            try ifPresent(key) { try decoder.bool($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
            try ifPresent(key) { try decoder.string($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
            try ifPresent(key) { try decoder.double($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? {
            try ifPresent(key) { try decoder.float($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }
        func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? {
            try ifPresent(key) { try decoder.integer($0, at: codingPath, key: key) }
        }

        func decodeIfPresent<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value? {
            try ifPresent(key) { try decoder.unwrap($0, as: type, at: codingPath, key: key) }
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try decoder.keyedContainer(try member(key), at: codingPath + [key])
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder.unkeyedContainer(try member(key), at: codingPath + [key])
        }

        func superDecoder() throws -> any Decoder {
            superDecoder(TreeCodingKey.super)
        }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            superDecoder(key)
        }

        /// A missing member is decoded as null, as JSONDecoder does.
        private func superDecoder(_ key: some CodingKey) -> JSONValueDecoder {
            JSONValueDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
        }
    }
}
