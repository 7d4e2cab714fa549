extension JSONValueDecoder {
    /// Past the end, `decode` throws valueNotFound naming the index, and `decodeIfPresent`
    /// gives nil and still moves on, as JSONDecoder's does.
    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let decoder: JSONValueDecoder
        let elements: [JSONValue]
        let codingPath: [any CodingKey]
        private(set) var currentIndex = 0

        init(decoder: JSONValueDecoder, elements: [JSONValue], codingPath: [any CodingKey]) {
            self.decoder = decoder
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        private var indexKey: TreeCodingKey { .index(currentIndex) }

        private func next(_ type: Any.Type, message: String = "Unkeyed container is at end.") throws -> JSONValue {
            guard currentIndex < elements.count else {
                throw DecodingError.valueNotFound(
                    type, .init(codingPath: codingPath + [indexKey], debugDescription: message))
            }
            return elements[currentIndex].asWritten
        }

        /// The next element for `decodeIfPresent`: nil at the end or for null.
        private var nextIfPresent: JSONValue? {
            guard currentIndex < elements.count else { return nil }
            let element = elements[currentIndex].asWritten
            if case .null = element { return nil }
            return element
        }

        /// Moves past the element just read; a read that throws stays where it was.
        private mutating func advance<Value>(_ value: Value) -> Value {
            currentIndex += 1
            return value
        }

        mutating func decodeNil() throws -> Bool {
            guard case .null = try next(Never.self) else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool {
            try advance(decoder.bool(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: String.Type) throws -> String {
            try advance(decoder.string(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: Double.Type) throws -> Double {
            try advance(decoder.double(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: Float.Type) throws -> Float {
            try advance(decoder.float(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: Int.Type) throws -> Int {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: Int8.Type) throws -> Int8 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: Int16.Type) throws -> Int16 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: Int32.Type) throws -> Int32 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: Int64.Type) throws -> Int64 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: Int128.Type) throws -> Int128 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: UInt.Type) throws -> UInt {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }
        mutating func decode(_ type: UInt128.Type) throws -> UInt128 {
            try advance(decoder.integer(try next(type), at: codingPath, key: indexKey))
        }

        mutating func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
            try advance(decoder.unwrap(try next(type), as: type, at: codingPath, key: indexKey))
        }

        mutating func decodeIfPresent(_ type: Bool.Type) throws -> Bool? {
            try advance(nextIfPresent.map { try decoder.bool($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: String.Type) throws -> String? {
            try advance(nextIfPresent.map { try decoder.string($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: Double.Type) throws -> Double? {
            try advance(nextIfPresent.map { try decoder.double($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: Float.Type) throws -> Float? {
            try advance(nextIfPresent.map { try decoder.float($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: Int.Type) throws -> Int? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: Int8.Type) throws -> Int8? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: Int16.Type) throws -> Int16? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: Int32.Type) throws -> Int32? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: Int64.Type) throws -> Int64? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: Int128.Type) throws -> Int128? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: UInt.Type) throws -> UInt? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: UInt8.Type) throws -> UInt8? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: UInt16.Type) throws -> UInt16? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: UInt32.Type) throws -> UInt32? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: UInt64.Type) throws -> UInt64? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }
        mutating func decodeIfPresent(_ type: UInt128.Type) throws -> UInt128? {
            try advance(nextIfPresent.map { try decoder.integer($0, at: codingPath, key: indexKey) })
        }

        mutating func decodeIfPresent<Value: Decodable>(_ type: Value.Type) throws -> Value? {
            try advance(nextIfPresent.map { try decoder.unwrap($0, as: type, at: codingPath, key: indexKey) })
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try advance(
                decoder.keyedContainer(try next(KeyedDecodingContainer<NestedKey>.self), at: codingPath + [indexKey]))
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try advance(
                decoder.unkeyedContainer(try next((any UnkeyedDecodingContainer).self), at: codingPath + [indexKey]))
        }

        mutating func superDecoder() throws -> any Decoder {
            let element = try next(
                (any Decoder).self, message: "Cannot get superDecoder() -- unkeyed container is at end.")
            return advance(JSONValueDecoder(value: element, codingPath: codingPath + [indexKey]))
        }
    }
}
