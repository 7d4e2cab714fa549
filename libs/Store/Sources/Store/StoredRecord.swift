import Platform

/// A typed record that a service keeps as one document. Documents become records and records
/// documents only through this, so repositories take and return records and no route reads a
/// document's members by name.
///
/// By default a record converts with its `Codable` conformance (`JSONValue(encoding:)`,
/// `decoded(as:)`, no JSON text in between). Records the hot paths read by the hundred may
/// convert by hand instead, kept equal to their `Codable` form by the service's tests.
public protocol StoredRecord: Codable, Sendable {
    init(document: JSONValue) throws
    func document() throws -> JSONValue
}

extension StoredRecord {
    public init(document: JSONValue) throws {
        do {
            self = try document.decoded(as: Self.self)
        } catch let error as DecodingError {
            throw StoredDocumentError(record: Self.self, decoding: error)
        }
    }

    public func document() throws -> JSONValue {
        try JSONValue(encoding: self)
    }
}

/// A stored document that does not read as its record: the store holds something this code
/// never wrote, so it is a 500 (logged with the record and the member), not the client's fault.
public struct StoredDocumentError: Error, CustomStringConvertible {
    public let record: String
    public let field: String?
    public let problem: String

    public init(record: Any.Type, field: String?, problem: String) {
        self.record = String(describing: record)
        self.field = field
        self.problem = problem
    }

    public init(record: Any.Type, decoding error: DecodingError) {
        let mapped = APIError(decoding: error)
        self.init(record: record, field: mapped.field, problem: mapped.message)
    }

    public var description: String { "stored \(record) unreadable\(field.map { " at \($0)" } ?? ""): \(problem)" }
}
