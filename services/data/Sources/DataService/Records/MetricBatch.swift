import Foundation
import Platform

/// `POST /v1/runs/{id}/metrics`: `{"points": [{key, value, step?, timestamp?}, …]}`, grouped
/// by key. Read by hand from the parsed body (`Request.parseJSON`): JSONDecoder costs more than
/// the store for a batch of 1000 points.
struct MetricBatch: Sendable {
    /// One key's points in the order they came.
    struct Series: Sendable {
        let key: String
        var values: [Double] = []
        var steps: [Int64] = []
        var timestamps: [Int64] = []
    }

    static let maxPoints = 10_000

    /// The keys in the order they first appear, each with at least one point.
    let series: [Series]
    /// The points of the request.
    let count: Int

    /// Every point read first (400 naming `points.<i>.<field>` for a missing member or one of
    /// the wrong type), then checked: the number of points, each key. A value is a number, or
    /// NaN written as null or "NaN", or "Infinity" / "-Infinity", clamped (`MetricValue`). A
    /// step defaults to 0 and a timestamp to `now` (epoch milliseconds).
    init(body: JSONValue, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws {
        let points = try Self.points(in: body)
        guard points.count <= Self.maxPoints else {
            throw APIError.invalidField("points", "at most \(Self.maxPoints) points per request")
        }
        var series: [Series] = []
        var positions: [String: Int] = [:]
        for (index, point) in points.enumerated() {
            let position: Int
            if let known = positions[point.key] {
                position = known
            } else {
                try FieldKey.validate(point.key, field: "points.\(index).key")
                position = series.count
                positions[point.key] = position
                series.append(Series(key: point.key))
            }
            series[position].values.append(point.value)
            series[position].steps.append(point.step ?? 0)
            series[position].timestamps.append(point.timestamp ?? now)
        }
        self.series = series
        count = points.count
    }

    private struct Point {
        let key: String
        let value: Double
        let step: Int64?
        let timestamp: Int64?
    }

    private static func points(in body: JSONValue) throws -> [Point] {
        guard let members = body.objectValue else {
            throw APIError.badRequest("the body is a JSON object", code: "invalid_type")
        }
        guard let list = members["points"] else {
            throw APIError.badRequest("points is required", code: "missing_field", field: "points")
        }
        guard let elements = list.arrayValue else {
            throw APIError.badRequest("points is an array", code: "invalid_type", field: "points")
        }
        return try elements.enumerated().map { index, element in
            let place = "points.\(index)"
            guard let point = element.objectValue else {
                throw APIError.badRequest("a point is an object", code: "invalid_type", field: place)
            }
            guard let key = point["key"] else {
                throw APIError.badRequest("key is required", code: "missing_field", field: "\(place).key")
            }
            guard let keyText = key.stringValue else {
                throw APIError.badRequest("key is a string", code: "invalid_type", field: "\(place).key")
            }
            guard let value = point["value"] else {
                throw APIError.badRequest("value is required", code: "missing_field", field: "\(place).value")
            }
            guard let number = MetricValue.input(value) else {
                throw APIError.badRequest(
                    #"value is a number, null or one of "NaN", "Infinity", "-Infinity""#, code: "invalid_type",
                    field: "\(place).value")
            }
            return Point(
                key: keyText, value: number,
                step: try integer(point["step"], "step", at: place),
                timestamp: try integer(point["timestamp"], "timestamp", at: place)
            )
        }
    }

    private static func integer(_ value: JSONValue?, _ name: String, at place: String) throws -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .int(let number)?: return number
        default: throw APIError.badRequest("\(name) is an integer", code: "invalid_type", field: "\(place).\(name)")
        }
    }
}
