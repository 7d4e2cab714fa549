import Platform
import Store

/// The members of a stored document, for the records converted by hand (see `StoredRecord`):
/// each accessor names the member it could not read, as `Codable` would.
struct StoredFields {
    let members: [String: JSONValue]
    let record: Any.Type

    init(_ document: JSONValue, of record: Any.Type) throws {
        guard let members = document.objectValue else {
            throw StoredDocumentError(record: record, field: nil, problem: "not an object")
        }
        self.members = members
        self.record = record
    }

    func string(_ key: String) throws -> String {
        guard let text = members[key]?.stringValue else { throw missing(key, "a string") }
        return text
    }

    /// Absent and null both read as nil, as `decodeIfPresent` does.
    func optionalString(_ key: String) throws -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw missing(key, "a string")
        }
    }

    func presence(_ key: String) throws -> Presence<String> {
        switch members[key] {
        case nil: return .absent
        case .null?: return .null
        case .string(let text)?: return .present(text)
        default: throw missing(key, "a string")
        }
    }

    func int(_ key: String) throws -> Int64 {
        guard let number = members[key]?.intValue else { throw missing(key, "an integer") }
        return number
    }

    func double(_ key: String) throws -> Double {
        guard let number = members[key]?.numberValue else { throw missing(key, "a number") }
        return number
    }

    /// A member holding one of an enumeration's raw values.
    func value<Value: RawRepresentable>(_ key: String) throws -> Value where Value.RawValue == String {
        guard let value = members[key]?.stringValue.flatMap(Value.init(rawValue:)) else {
            throw missing(key, "one of \(Value.self)")
        }
        return value
    }

    /// Absent reads as an empty object, as the records that hold dynamic keys default it.
    func object(_ key: String) throws -> [String: JSONValue] {
        switch members[key] {
        case nil: return [:]
        case .object(let members)?: return members
        default: throw missing(key, "an object")
        }
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard let elements = members[key]?.arrayValue else { throw missing(key, "an array") }
        return elements
    }

    /// A metric value as `MetricValue.json` stored it (null is NaN).
    func metricValue(_ key: String) throws -> Double {
        guard let number = MetricValue.read(members[key]) else { throw missing(key, "a number or null") }
        return number
    }

    /// Metric values as `MetricValue.json` stored them (null is NaN). Loops rather than maps: a
    /// metric chunk holds thousands of numbers.
    func metricValues(_ key: String) throws -> [Double] {
        let elements = try array(key)
        var numbers: [Double] = []
        numbers.reserveCapacity(elements.count)
        for element in elements {
            switch element {
            case .double(let number): numbers.append(number)
            case .int(let number): numbers.append(Double(number))
            case .null: numbers.append(.nan)
            default: throw missing("\(key).\(numbers.count)", "a number or null")
            }
        }
        return numbers
    }

    func ints(_ key: String) throws -> [Int64] {
        let elements = try array(key)
        var numbers: [Int64] = []
        numbers.reserveCapacity(elements.count)
        for element in elements {
            guard case .int(let number) = element else { throw missing("\(key).\(numbers.count)", "an integer") }
            numbers.append(number)
        }
        return numbers
    }

    private func missing(_ key: String, _ expected: String) -> StoredDocumentError {
        StoredDocumentError(record: record, field: key, problem: "expected \(expected)")
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Sets `key` unless `value` is nil: how the hand conversions write an optional member
    /// (absent, as `encodeIfPresent` leaves it).
    mutating func setIfPresent(_ key: String, _ value: JSONValue?) {
        if let value { self[key] = value }
    }

    mutating func set(_ key: String, _ presence: Presence<String>) {
        switch presence {
        case .absent: break
        case .null: self[key] = .null
        case .present(let text): self[key] = .string(text)
        }
    }
}
