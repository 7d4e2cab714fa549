import Foundation

/// Reading one value, shared by the keyed, unkeyed and single-value containers. Each takes the
/// container's path and the key or index being read, which errors name.
extension JSONValueDecoder {
    /// JSONDecoder checks Bool without its null check: null is a type mismatch here.
    func bool(_ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?) throws -> Bool {
        guard case .bool(let flag) = value else { throw Self.typeMismatch(Bool.self, value, at: path.appending(key)) }
        return flag
    }

    func string(_ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?) throws -> String {
        try Self.checkNotNull(value, String.self, at: path, key: key)
        guard case .string(let text) = value else {
            throw Self.typeMismatch(String.self, value, at: path.appending(key))
        }
        return text
    }

    func integer<Integer: FixedWidthInteger>(
        _ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?
    ) throws -> Integer {
        try Self.checkNotNull(value, Integer.self, at: path, key: key)
        guard value.isNumber else { throw Self.typeMismatch(Integer.self, value, at: path.appending(key)) }
        guard let integer = TextNumbers.integer(value, as: Integer.self) else { throw Self.notRepresentable }
        return integer
    }

    func double(_ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?) throws -> Double {
        try Self.checkNotNull(value, Double.self, at: path, key: key)
        guard let number = TextNumbers.double(value) else {
            throw Self.typeMismatch(Double.self, value, at: path.appending(key))
        }
        return number
    }

    func float(_ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?) throws -> Float {
        try Self.checkNotNull(value, Float.self, at: path, key: key)
        guard value.isNumber else { throw Self.typeMismatch(Float.self, value, at: path.appending(key)) }
        guard let number = TextNumbers.float(value) else { throw Self.notRepresentable }
        return number
    }

    /// Any Decodable: the types JSONDecoder reads its own way, shortcuts that give what the
    /// long way would, else the type's `init(from:)` on a decoder one level down (this one
    /// when there is no key: a single value or the top).
    func unwrap<Value: Decodable>(
        _ value: JSONValue, as type: Value.Type, at path: [any CodingKey], key: (any CodingKey)?
    ) throws -> Value {
        if let special = try unwrapSpecial(value, as: type, at: path, key: key) { return special }
        let decoder = key.map { JSONValueDecoder(value: value, codingPath: path + [$0]) } ?? self
        return try Value(from: decoder)
    }

    private func unwrapSpecial<Value: Decodable>(
        _ value: JSONValue, as type: Value.Type, at path: [any CodingKey], key: (any CodingKey)?
    ) throws -> Value? {
        if Value.self == JSONValue.self { return TextNumbers.decodedMember(value) as? Value }
        if Value.self == String.self { return try string(value, at: path, key: key) as? Value }
        if Value.self == [String: JSONValue].self, case .object = value {
            return TextNumbers.decodedMember(value).objectValue as? Value
        }
        if Value.self == Date.self { return try date(value, at: path, key: key) as? Value }
        if Value.self == Data.self { return try data(value, at: path, key: key) as? Value }
        if Value.self == URL.self { return try url(value, at: path, key: key) as? Value }
        if Value.self == Decimal.self { return try decimal(value, at: path, key: key) as? Value }
        return nil
    }

    /// `.iso8601`, whose error JSONDecoder gives the decoder's path, not the member's.
    private func date(_ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?) throws -> Date {
        try Self.checkNotNull(value, Date.self, at: path, key: key)
        let text = try string(value, at: path, key: key)
        guard let date = try? Date.ISO8601FormatStyle().parse(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "Expected date string to be ISO8601-formatted."))
        }
        return date
    }

    private func data(_ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?) throws -> Data {
        try Self.checkNotNull(value, Data.self, at: path, key: key)
        guard let data = Data(base64Encoded: try string(value, at: path, key: key)) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path.appending(key), debugDescription: "Encountered Data is not valid Base64."))
        }
        return data
    }

    private func url(_ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?) throws -> URL {
        try Self.checkNotNull(value, URL.self, at: path, key: key)
        guard let url = URL(string: try string(value, at: path, key: key)) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path.appending(key), debugDescription: "Invalid URL string."))
        }
        return url
    }

    private func decimal(_ value: JSONValue, at path: [any CodingKey], key: (any CodingKey)?) throws -> Decimal {
        try Self.checkNotNull(value, Decimal.self, at: path, key: key)
        guard value.isNumber else {
            throw DecodingError.typeMismatch(Decimal.self, .init(codingPath: path.appending(key), debugDescription: ""))
        }
        guard let decimal = TextNumbers.decimal(value) else { throw Self.notRepresentable }
        return decimal
    }
}
