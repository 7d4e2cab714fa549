import Foundation
import Platform

/// A record as the data store keeps it: one document per record, in its own collection.
///
/// Records are `Codable`, and by default convert through `JSONValue(encoding:)` and
/// `decoded(as:)`. A few convert by hand instead (`StoredFields`): runs, log entries and the
/// documents of metric series, which the hot paths read by the hundred (a search page, a log
/// page, a chart), where `Codable` costs several times the hand copy (a run: 9 µs against 1 µs,
/// beside 25 µs to parse it), and which hold doubles that `Codable` writes back as integers
/// (`1.0` as `1`). A test (`RecordTests`) keeps each hand conversion equal to its `Codable` one.
protocol StoredRecord: Codable, Sendable {
    init(document: JSONValue) throws
    func document() throws -> JSONValue
}

extension StoredRecord {
    init(document: JSONValue) throws {
        do {
            self = try document.decoded(as: Self.self)
        } catch let error as DecodingError {
            throw StoredDocumentError(record: Self.self, decoding: error)
        }
    }

    func document() throws -> JSONValue {
        try JSONValue(encoding: self)
    }
}

/// A stored document that does not read as its record: the store holds something this code
/// never wrote, so it is a 500 (logged with the record and the field), not the client's fault.
struct StoredDocumentError: Error, CustomStringConvertible {
    let record: String
    let field: String?
    let problem: String

    init(record: Any.Type, field: String?, problem: String) {
        self.record = String(describing: record)
        self.field = field
        self.problem = problem
    }

    init(record: Any.Type, decoding error: DecodingError) {
        let mapped = APIError(decoding: error)
        self.init(record: record, field: mapped.field, problem: mapped.message)
    }

    var description: String { "stored \(record) unreadable\(field.map { " at \($0)" } ?? ""): \(problem)" }
}

extension String {
    /// Zero-padded, so ids ending in a number (metric chunks, upload parts) sort as the number does.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
