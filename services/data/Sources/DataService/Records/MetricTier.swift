import Platform
import Store

/// Buckets `chunk * 128 ..< chunk * 128 + buckets.count` of one level of a series' tiers
/// (`metric_tiers`, id `<seriesId>:t<level>:<chunk>`; see `MetricTiers`), stored as one array
/// per bucket member, NaN as null (`MetricValue`). Converted by hand: a chart reads up to 64 of them.
struct MetricTier: StoredRecord, Equatable {
    let id: String
    let seriesId: String
    let runId: String
    let experimentId: String
    let projectId: String
    let level: Int
    let chunk: Int
    let buckets: [MetricTiers.Bucket]

    static func id(series: String, level: Int, chunk: Int) -> String { "\(series):t\(level):\(chunk)" }
}

extension MetricTier {
    init(series seriesID: String, of run: Run, level: Int, chunk: Int, buckets: [MetricTiers.Bucket]) {
        self.init(
            id: Self.id(series: seriesID, level: level, chunk: chunk), seriesId: seriesID, runId: run.id,
            experimentId: run.experimentId,
            projectId: run.projectId, level: level, chunk: chunk, buckets: buckets
        )
    }

    init(document: JSONValue) throws {
        let fields = try StoredFields(document, of: Self.self)
        self.init(
            id: try fields.string("id"), seriesId: try fields.string("seriesId"), runId: try fields.string("runId"),
            experimentId: try fields.string("experimentId"), projectId: try fields.string("projectId"),
            level: Int(try fields.int("level")), chunk: Int(try fields.int("chunk")), buckets: try Self.buckets(fields)
        )
    }

    /// In one pass over the stored arrays: a chart reads thousands of buckets.
    private static func buckets(_ fields: StoredFields) throws -> [MetricTiers.Bucket] {
        let (mins, maxes, lasts) = (try fields.array("min"), try fields.array("max"), try fields.array("last"))
        let (firstSteps, lastSteps) = (try fields.array("firstStep"), try fields.array("lastStep"))
        guard Set([mins.count, maxes.count, lasts.count, firstSteps.count, lastSteps.count]).count == 1 else {
            throw StoredDocumentError(
                record: MetricTier.self, field: "min", problem: "the bucket arrays differ in length")
        }
        var buckets: [MetricTiers.Bucket] = []
        buckets.reserveCapacity(mins.count)
        for index in mins.indices {
            guard let min = MetricValue.read(mins[index]), let max = MetricValue.read(maxes[index]),
                let last = MetricValue.read(lasts[index]),
                let firstStep = firstSteps[index].intValue, let lastStep = lastSteps[index].intValue
            else {
                throw StoredDocumentError(
                    record: MetricTier.self, field: "min.\(index)", problem: "a bucket is numbers (null for NaN)")
            }
            buckets.append(MetricTiers.Bucket(min: min, max: max, last: last, firstStep: firstStep, lastStep: lastStep))
        }
        return buckets
    }

    func document() -> JSONValue {
        [
            "id": .string(id), "seriesId": .string(seriesId), "runId": .string(runId),
            "experimentId": .string(experimentId),
            "projectId": .string(projectId), "level": .int(Int64(level)), "chunk": .int(Int64(chunk)),
            "min": .array(buckets.map { MetricValue.json($0.min) }),
            "max": .array(buckets.map { MetricValue.json($0.max) }),
            "last": .array(buckets.map { MetricValue.json($0.last) }),
            "firstStep": .array(buckets.map { .int($0.firstStep) }),
            "lastStep": .array(buckets.map { .int($0.lastStep) }),
        ]
    }
}

/// `Codable` in the stored form: one array per bucket member, a NaN as null.
extension MetricTier {
    private struct Columns: Codable {
        let min: [Double]
        let max: [Double]
        let last: [Double]
        let firstStep: [Int64]
        let lastStep: [Int64]

        private enum CodingKeys: String, CodingKey {
            case min, max, last, firstStep, lastStep
        }

        init(_ buckets: [MetricTiers.Bucket]) {
            (min, max, last) = (buckets.map(\.min), buckets.map(\.max), buckets.map(\.last))
            (firstStep, lastStep) = (buckets.map(\.firstStep), buckets.map(\.lastStep))
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            min = try container.decodeMetricValues(forKey: .min)
            max = try container.decodeMetricValues(forKey: .max)
            last = try container.decodeMetricValues(forKey: .last)
            firstStep = try container.decode([Int64].self, forKey: .firstStep)
            lastStep = try container.decode([Int64].self, forKey: .lastStep)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeMetricValues(min, forKey: .min)
            try container.encodeMetricValues(max, forKey: .max)
            try container.encodeMetricValues(last, forKey: .last)
            try container.encode(firstStep, forKey: .firstStep)
            try container.encode(lastStep, forKey: .lastStep)
        }

        func buckets() throws -> [MetricTiers.Bucket] {
            guard Set([min.count, max.count, last.count, firstStep.count, lastStep.count]).count == 1 else {
                throw StoredDocumentError(
                    record: MetricTier.self, field: "min", problem: "the bucket arrays differ in length")
            }
            return min.indices.map { index in
                MetricTiers.Bucket(
                    min: min[index], max: max[index], last: last[index], firstStep: firstStep[index],
                    lastStep: lastStep[index])
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case id, seriesId, runId, experimentId, projectId, level, chunk
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            seriesId: try container.decode(String.self, forKey: .seriesId),
            runId: try container.decode(String.self, forKey: .runId),
            experimentId: try container.decode(String.self, forKey: .experimentId),
            projectId: try container.decode(String.self, forKey: .projectId),
            level: try container.decode(Int.self, forKey: .level),
            chunk: try container.decode(Int.self, forKey: .chunk), buckets: try Columns(from: decoder).buckets()
        )
    }

    func encode(to encoder: any Encoder) throws {
        try Columns(buckets).encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(seriesId, forKey: .seriesId)
        try container.encode(runId, forKey: .runId)
        try container.encode(experimentId, forKey: .experimentId)
        try container.encode(projectId, forKey: .projectId)
        try container.encode(level, forKey: .level)
        try container.encode(chunk, forKey: .chunk)
    }
}
