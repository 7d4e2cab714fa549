import Foundation

extension JSONValue {
    /// A `Codable` value as a document (wire types stored or sent as JSON): the document
    /// `JSONEncoder.api`'s text would parse to, built directly (the store's hot path).
    public init(encoding value: some Encodable) throws {
        self = try JSONValueEncoder.encode(value)
    }

    /// This document as a `Decodable` type, with the values and errors `JSONDecoder.api`
    /// reading its `jsonText` would give, read directly.
    public func decoded<Value: Decodable>(as type: Value.Type) throws -> Value {
        try JSONValueDecoder.decode(type, from: self)
    }
}
