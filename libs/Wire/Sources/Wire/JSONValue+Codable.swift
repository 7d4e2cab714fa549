import Foundation

extension JSONValue {
    /// A `Codable` value as a document (wire types stored or sent as JSON).
    public init(encoding value: some Encodable) throws {
        self = try JSONValue.parse(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
    }

    /// This document as a `Decodable` type.
    public func decoded<Value: Decodable>(as type: Value.Type) throws -> Value {
        try JSONDecoder().decode(type, from: Data(jsonText.utf8))
    }
}
