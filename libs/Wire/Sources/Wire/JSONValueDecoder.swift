import Foundation

/// Decodes a value straight from a `JSONValue`, with the results and errors `JSONDecoder.api`
/// gave reading the document's `jsonText`, without the text.
///
/// Errors keep JSONDecoder's kinds, types, coding paths and descriptions, since the platform's
/// 400s name the field at fault from them (DecodingErrorMapping) — quirks included: a number
/// that does not fit its type is `dataCorrupted` at the empty path ("The given data was not
/// valid JSON.", as JSONDecoder reports its scanner's errors), and a date that is not ISO 8601
/// is blamed on the decoder's path rather than the member's.
final class JSONValueDecoder: Decoder {
    /// Already as written (`asWritten`): what JSONDecoder would have read here.
    let value: JSONValue
    let codingPath: [any CodingKey]

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(value: JSONValue, codingPath: [any CodingKey]) {
        self.value = value.asWritten
        self.codingPath = codingPath
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from document: JSONValue) throws -> Value {
        let decoder = JSONValueDecoder(value: document, codingPath: [])
        return try decoder.unwrap(decoder.value, as: type, at: [], key: nil)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try keyedContainer(value, at: codingPath)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try unkeyedContainer(value, at: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        self
    }

    /// A keyed container over `value` at `path`, which stays this decoder's: JSONDecoder's
    /// nested containers share their decoder, and so its path for date errors.
    func keyedContainer<Key: CodingKey>(
        _ value: JSONValue, at path: [any CodingKey]
    ) throws -> KeyedDecodingContainer<Key> {
        switch value {
        case .object(let members):
            return KeyedDecodingContainer(KeyedContainer(decoder: self, members: members, codingPath: path))
        case .null:
            throw DecodingError.valueNotFound(
                [String: Any].self,
                .init(
                    codingPath: path,
                    debugDescription: "Cannot get keyed decoding container -- found null value instead"))
        default:
            throw Self.typeMismatch([String: Any].self, value, at: path)
        }
    }

    func unkeyedContainer(_ value: JSONValue, at path: [any CodingKey]) throws -> any UnkeyedDecodingContainer {
        switch value {
        case .array(let elements):
            return UnkeyedContainer(decoder: self, elements: elements, codingPath: path)
        case .null:
            throw DecodingError.valueNotFound(
                [Any].self,
                .init(
                    codingPath: path,
                    debugDescription: "Cannot get unkeyed decoding container -- found null value instead"))
        default:
            throw Self.typeMismatch([Any].self, value, at: path)
        }
    }

    // MARK: Errors as JSONDecoder words them

    static func typeMismatch(_ type: Any.Type, _ value: JSONValue, at path: [any CodingKey]) -> DecodingError {
        let found =
            switch value {
            case .string: "a string"
            case .int, .double: "number"
            case .bool: "bool"
            case .null: "null"
            case .object: "a dictionary"
            case .array: "an array"
            }
        return .typeMismatch(
            type, .init(codingPath: path, debugDescription: "Expected to decode \(type) but found \(found) instead."))
    }

    static func checkNotNull(
        _ value: JSONValue, _ type: Any.Type, at path: [any CodingKey], key: (any CodingKey)?
    ) throws {
        guard case .null = value else { return }
        throw DecodingError.valueNotFound(
            type,
            .init(
                codingPath: path.appending(key),
                debugDescription: "Cannot get value of type \(type) -- found null value instead"))
    }

    /// JSONDecoder's scanner errors surface as this, whatever the path they were met at.
    static var notRepresentable: DecodingError {
        .dataCorrupted(.init(codingPath: [], debugDescription: "The given data was not valid JSON."))
    }
}

extension JSONValueDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try bool(value, at: codingPath, key: nil) }
    func decode(_ type: String.Type) throws -> String { try string(value, at: codingPath, key: nil) }
    func decode(_ type: Double.Type) throws -> Double { try double(value, at: codingPath, key: nil) }
    func decode(_ type: Float.Type) throws -> Float { try float(value, at: codingPath, key: nil) }
    func decode(_ type: Int.Type) throws -> Int { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: Int128.Type) throws -> Int128 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(value, at: codingPath, key: nil) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try integer(value, at: codingPath, key: nil) }

    func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try unwrap(value, as: type, at: codingPath, key: nil)
    }
}
