import Platform

/// A metric value as MLflow's server keeps it: NaN is a value like any other (a diverging loss
/// is logged as one), while ±Infinity becomes ±`Double.greatestFiniteMagnitude` on the way in
/// (`Double.clampedToFinite`, libs/Wire), so reading one back gives ±1.7976931348623157e308
/// there and here alike.
///
/// JSON has no NaN, so a NaN is `null` in stored documents and in our API's answers. Stored as
/// null in MongoDB too, though BSON could hold a NaN: MongoDB orders NaN below every number, so
/// `metrics.loss < 1` would match it, where null matches no comparison, as IEEE's NaN does.
enum MetricValue {
    /// What `input` takes, for the OpenAPI documents.
    static let inputSchema: JSONValue = [
        "anyOf": [["type": ["number", "null"]], ["enum": ["NaN", "Infinity", "-Infinity"]]]
    ]

    /// The value as stored and answered: null for NaN.
    static func json(_ value: Double) -> JSONValue {
        value.isNaN ? .null : .double(value)
    }

    /// A value `json` wrote, back: null is NaN; nil when absent or not a number.
    static func read(_ value: JSONValue?) -> Double? {
        switch value {
        case .double(let number)?: number
        case .int(let number)?: Double(number)
        case .null?: .nan
        default: nil
        }
    }

    /// A value as a client sends it, clamped: a number, null (NaN), or the strings protobuf's
    /// JSON mapping writes for a double that JSON cannot hold, which MLflow's client sends
    /// ("NaN", "Infinity", "-Infinity"); nil for anything else.
    static func input(_ value: JSONValue) -> Double? {
        switch value {
        case .string("NaN"): .nan
        case .string("Infinity"): .greatestFiniteMagnitude
        case .string("-Infinity"): -.greatestFiniteMagnitude
        case .string, .bool, .array, .object: nil
        case .null, .int, .double: read(value)?.clampedToFinite
        }
    }
}

/// The `Codable` form of the records holding metric values, NaN as null as by hand (`Codable`
/// itself refuses a NaN: JSON cannot hold one).
extension KeyedDecodingContainer {
    func decodeMetricValue(forKey key: Key) throws -> Double {
        try decodeNil(forKey: key) ? .nan : decode(Double.self, forKey: key)
    }

    func decodeMetricValues(forKey key: Key) throws -> [Double] {
        try decode([Double?].self, forKey: key).map { $0 ?? .nan }
    }
}

extension KeyedEncodingContainer {
    mutating func encodeMetricValue(_ value: Double, forKey key: Key) throws {
        if value.isNaN { try encodeNil(forKey: key) } else { try encode(value, forKey: key) }
    }

    mutating func encodeMetricValues(_ values: [Double], forKey key: Key) throws {
        try encode(values.map { $0.isNaN ? nil : $0 }, forKey: key)
    }
}
