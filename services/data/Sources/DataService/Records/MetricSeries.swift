import Platform
import Store

/// A run's metric under one key (`metric_series`, id `<runId>:<encoded key>`): its point count,
/// min, max and latest point. Its points are in `MetricChunk`s, coarser copies in `MetricTier`s.
/// Converted by hand, so a `1.0` stays `1.0`.
///
/// A series of one point has no document and no chunk: the run's summary of the key holds all
/// of it (`inRun`). Most runs of a sweep log each final metric once, and those two documents
/// were two thirds of the bytes such a run took; the second point creates both.
struct MetricSeries: StoredRecord, Equatable {
    let id: String
    let runId: String
    let experimentId: String
    let projectId: String
    let key: String
    var count: Int64
    /// The least and greatest value that is not NaN; NaN (stored as null) while every value is.
    var min: Double
    var max: Double
    /// The point with the greatest step, then timestamp, then the last to arrive.
    var last: MetricPoint
    /// True for a one-point series read from its run's summary (nothing of it is stored apart).
    var inRun = false

    /// What a stored series holds (`inRun` is never stored: a stored series is not in its run).
    enum CodingKeys: String, CodingKey {
        case id, runId, experimentId, projectId, key, count, min, max, last
    }

    static func id(run runID: String, key: String) -> String { "\(runID):\(FieldKey.encode(key))" }
}

/// One logged value of a metric (NaN is a value; see `MetricValue`).
struct MetricPoint: Codable, Sendable, Equatable {
    let value: Double
    let step: Int64
    /// Epoch milliseconds.
    let timestamp: Int64

    var view: JSONValue { ["value": MetricValue.json(value), "step": .int(step), "timestamp": .int(timestamp)] }
}

/// `Codable` as stored by hand: a NaN is null.
extension MetricPoint {
    private enum CodingKeys: String, CodingKey {
        case value, step, timestamp
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            value: try container.decodeMetricValue(forKey: .value),
            step: try container.decode(Int64.self, forKey: .step),
            timestamp: try container.decode(Int64.self, forKey: .timestamp))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeMetricValue(value, forKey: .value)
        try container.encode(step, forKey: .step)
        try container.encode(timestamp, forKey: .timestamp)
    }
}

/// `Codable` as stored by hand: a NaN `min` or `max` (every value NaN) is null.
extension MetricSeries {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            runId: try container.decode(String.self, forKey: .runId),
            experimentId: try container.decode(String.self, forKey: .experimentId),
            projectId: try container.decode(String.self, forKey: .projectId),
            key: try container.decode(String.self, forKey: .key),
            count: try container.decode(Int64.self, forKey: .count),
            min: try container.decodeMetricValue(forKey: .min), max: try container.decodeMetricValue(forKey: .max),
            last: try container.decode(MetricPoint.self, forKey: .last))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(runId, forKey: .runId)
        try container.encode(experimentId, forKey: .experimentId)
        try container.encode(projectId, forKey: .projectId)
        try container.encode(key, forKey: .key)
        try container.encode(count, forKey: .count)
        try container.encodeMetricValue(min, forKey: .min)
        try container.encodeMetricValue(max, forKey: .max)
        try container.encode(last, forKey: .last)
    }
}

extension MetricSeries {
    /// The series once `points` arrive after `previous` (nil: they are its first); nil when
    /// there is neither.
    static func appending(_ points: MetricBatch.Series, to previous: MetricSeries?, of run: Run) -> MetricSeries? {
        // NaN until a value is not: IEEE's minimum and maximum pass over a NaN operand.
        var minimum = previous?.min ?? .nan
        var maximum = previous?.max ?? .nan
        var last = previous?.last
        for index in points.values.indices {
            let point = MetricPoint(
                value: points.values[index], step: points.steps[index], timestamp: points.timestamps[index])
            minimum = .minimum(minimum, point.value)
            maximum = .maximum(maximum, point.value)
            if last.map({ (point.step, point.timestamp) >= ($0.step, $0.timestamp) }) ?? true { last = point }
        }
        guard let last else { return nil }
        return MetricSeries(
            id: id(run: run.id, key: points.key), runId: run.id, experimentId: run.experimentId,
            projectId: run.projectId, key: points.key,
            count: (previous?.count ?? 0) + Int64(points.values.count), min: minimum, max: maximum, last: last
        )
    }

    /// The one-point series the run keeps under `encodedKey`; nil unless it has exactly one point.
    init?(inRun run: Run, encodedKey: String) {
        guard let summary = run.metricSummaries.stored[encodedKey], summary["count"]?.intValue == 1,
            let value = MetricValue.read(run.metrics.stored[encodedKey]), let step = summary["step"]?.intValue,
            let timestamp = summary["timestamp"]?.intValue
        else { return nil }
        self.init(
            id: Self.id(run: run.id, key: FieldKey.decode(encodedKey)), runId: run.id, experimentId: run.experimentId,
            projectId: run.projectId, key: FieldKey.decode(encodedKey), count: 1, min: value, max: value,
            last: MetricPoint(value: value, step: step, timestamp: timestamp), inRun: true)
    }

    init(document: JSONValue) throws {
        let fields = try StoredFields(document, of: Self.self)
        let last = try StoredFields(fields.members["last"] ?? .null, of: MetricPoint.self)
        self.init(
            id: try fields.string("id"), runId: try fields.string("runId"),
            experimentId: try fields.string("experimentId"),
            projectId: try fields.string("projectId"), key: try fields.string("key"), count: try fields.int("count"),
            min: try fields.metricValue("min"), max: try fields.metricValue("max"),
            last: MetricPoint(
                value: try last.metricValue("value"), step: try last.int("step"), timestamp: try last.int("timestamp"))
        )
    }

    func document() -> JSONValue {
        var members = summary
        members["id"] = .string(id)
        members["runId"] = .string(runId)
        members["experimentId"] = .string(experimentId)
        members["projectId"] = .string(projectId)
        members["key"] = .string(key)
        return .object(members)
    }

    /// What an append changes: count, min, max and the latest point.
    var summary: [String: JSONValue] {
        ["count": .int(count), "min": MetricValue.json(min), "max": MetricValue.json(max), "last": last.view]
    }

    /// What the run keeps of the series under `metricSummaries.<key>`, for search.
    var runSummary: JSONValue {
        [
            "min": MetricValue.json(min), "max": MetricValue.json(max), "step": .int(last.step),
            "timestamp": .int(last.timestamp),
            "count": .int(count),
        ]
    }

    /// As clients see it: without the ids of what holds it.
    func view() -> JSONValue {
        var members = summary
        members["key"] = .string(key)
        return .object(members)
    }
}
