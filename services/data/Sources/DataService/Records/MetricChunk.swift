import Platform
import Store

/// The points one request appended to a series (`metric_chunks`, id `<seriesId>:<start, 12
/// digits>`): points `start ..< end` in arrival order, as arrays of values, steps and timestamps
/// (MongoDB's bucket pattern); a NaN value is null (`MetricValue`). Converted by hand: a
/// history page reads thousands of points.
struct MetricChunk: StoredRecord, Equatable {
    let id: String
    let seriesId: String
    let runId: String
    let experimentId: String
    let projectId: String
    let start: Int64
    let end: Int64
    let values: [Double]
    let steps: [Int64]
    let timestamps: [Int64]

    var count: Int { values.count }

    func point(at index: Int) -> MetricPoint {
        MetricPoint(value: values[index], step: steps[index], timestamp: timestamps[index])
    }
}

extension MetricChunk {
    /// `points` stored as points `start ...` of series `seriesID` of `run`.
    init(series seriesID: String, of run: Run, start: Int, points: MetricBatch.Series) {
        self.init(
            id: "\(seriesID):\(String(start).leftPadded(to: 12))", seriesId: seriesID, runId: run.id,
            experimentId: run.experimentId,
            projectId: run.projectId, start: Int64(start), end: Int64(start + points.values.count),
            values: points.values, steps: points.steps, timestamps: points.timestamps
        )
    }

    init(document: JSONValue) throws {
        let fields = try StoredFields(document, of: Self.self)
        self.init(
            id: try fields.string("id"), seriesId: try fields.string("seriesId"), runId: try fields.string("runId"),
            experimentId: try fields.string("experimentId"), projectId: try fields.string("projectId"),
            start: try fields.int("start"), end: try fields.int("end"),
            values: try fields.metricValues("values"), steps: try fields.ints("steps"),
            timestamps: try fields.ints("timestamps")
        )
        guard steps.count == values.count, timestamps.count == values.count else {
            throw StoredDocumentError(
                record: Self.self, field: "steps", problem: "values, steps and timestamps differ in length")
        }
    }

    func document() -> JSONValue {
        [
            "id": .string(id), "seriesId": .string(seriesId), "runId": .string(runId),
            "experimentId": .string(experimentId),
            "projectId": .string(projectId), "start": .int(start), "end": .int(end),
            "values": .array(values.map(MetricValue.json)), "steps": .array(steps.map(JSONValue.int)),
            "timestamps": .array(timestamps.map(JSONValue.int)),
        ]
    }
}

/// `Codable` as stored by hand: a NaN value is null.
extension MetricChunk {
    private enum CodingKeys: String, CodingKey {
        case id, seriesId, runId, experimentId, projectId, start, end, values, steps, timestamps
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            seriesId: try container.decode(String.self, forKey: .seriesId),
            runId: try container.decode(String.self, forKey: .runId),
            experimentId: try container.decode(String.self, forKey: .experimentId),
            projectId: try container.decode(String.self, forKey: .projectId),
            start: try container.decode(Int64.self, forKey: .start),
            end: try container.decode(Int64.self, forKey: .end),
            values: try container.decodeMetricValues(forKey: .values),
            steps: try container.decode([Int64].self, forKey: .steps),
            timestamps: try container.decode([Int64].self, forKey: .timestamps))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(seriesId, forKey: .seriesId)
        try container.encode(runId, forKey: .runId)
        try container.encode(experimentId, forKey: .experimentId)
        try container.encode(projectId, forKey: .projectId)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encodeMetricValues(values, forKey: .values)
        try container.encode(steps, forKey: .steps)
        try container.encode(timestamps, forKey: .timestamps)
    }
}
