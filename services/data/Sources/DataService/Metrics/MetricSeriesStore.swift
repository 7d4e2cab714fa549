import Foundation
import Platform
import Store

/// Metric series of runs: (key, value, step, timestamp) points appended in batches.
///
/// A series (`metric_series`, id `<runId>:<key>`) stores its points in arrival order as chunk
/// documents (`metric_chunks`, one per series per request, arrays of values, steps and times,
/// as MongoDB's bucket pattern does), keeps the tiers of `MetricTiers` for charts, and the run
/// keeps each key's latest value (greatest step, then timestamp) and min/max for search. One
/// request is one batch: the points, the tiers and the run's summary change together or not
/// at all. Writers racing on a series collide on the chunk id (its start index) and the loser
/// retries on fresh state.
struct MetricSeriesStore: Sendable {
    struct Point: Sendable {
        let key: String
        let value: Double
        let step: Int64?
        let timestamp: Int64?
    }

    /// The points of a request body `{"points": [{key, value, step?, timestamp?}, …]}`, read
    /// by hand from the parsed JSON (JSONDecoder costs more than the store for 1000 points);
    /// each mistake is a 400 naming `points.<i>.<field>`.
    static func points(in body: JSONValue) throws -> [Point] {
        guard let members = body.objectValue else { throw APIError.badRequest("the body is a JSON object", code: "invalid_type") }
        guard let list = members["points"] else { throw APIError.badRequest("points is required", code: "missing_field", field: "points") }
        guard let elements = list.arrayValue else { throw APIError.badRequest("points is an array", code: "invalid_type", field: "points") }
        return try elements.enumerated().map { index, element in
            let place = "points.\(index)"
            guard let point = element.objectValue else { throw APIError.badRequest("a point is an object", code: "invalid_type", field: place) }
            guard let key = point["key"] else { throw APIError.badRequest("key is required", code: "missing_field", field: "\(place).key") }
            guard let keyText = key.stringValue else { throw APIError.badRequest("key is a string", code: "invalid_type", field: "\(place).key") }
            guard let value = point["value"] else { throw APIError.badRequest("value is required", code: "missing_field", field: "\(place).value") }
            guard let number = value.numberValue else { throw APIError.badRequest("value is a number", code: "invalid_type", field: "\(place).value") }
            return Point(key: keyText, value: number, step: try integer(point["step"], "\(place).step"), timestamp: try integer(point["timestamp"], "\(place).timestamp"))
        }
    }

    private static func integer(_ value: JSONValue?, _ field: String) throws -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .int(let number)?: return number
        default: throw APIError.badRequest("\(field.split(separator: ".").last!) is an integer", code: "invalid_type", field: field)
        }
    }

    static let maxPointsPerRequest = 10_000

    let store: any DocumentStore

    static func seriesID(run: String, key: String) -> String { "\(run):\(FieldKey.encode(key))" }

    /// Checks every point (400 naming `points.<i>.<field>` for the first bad one), then stores
    /// them all.
    func append(_ points: [Point], to run: JSONValue) async throws {
        guard points.count <= Self.maxPointsPerRequest else {
            throw APIError.invalidField("points", "at most \(Self.maxPointsPerRequest) points per request")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var byKey: [String: (values: [Double], steps: [Int64], times: [Int64])] = [:]
        var order: [String] = []
        for (index, point) in points.enumerated() {
            if byKey[point.key] == nil {
                try FieldKey.validate(point.key, field: "points.\(index).key")
                order.append(point.key)
                byKey[point.key] = ([], [], [])
            }
            guard point.value.isFinite else { throw APIError.invalidField("points.\(index).value", "a metric value is a finite number") }
            byKey[point.key]!.values.append(point.value)
            byKey[point.key]!.steps.append(point.step ?? 0)
            byKey[point.key]!.times.append(point.timestamp ?? now)
        }
        guard !order.isEmpty else { return }
        for attempt in 1...5 {
            do {
                return try await store.batch(try await operations(for: order.map { ($0, byKey[$0]!) }, run: run))
            } catch let error as StoreError where error.code == .duplicate && attempt < 5 {
                // Another writer appended to one of these series first: start again from its state.
                try await Task.sleep(for: .milliseconds(attempt * 2))
            }
        }
        throw APIError.conflict("metric series of this run kept changing under this request; retry", code: "write_conflict", field: "points")
    }

    private func operations(for series: [(key: String, points: (values: [Double], steps: [Int64], times: [Int64]))], run: JSONValue) async throws -> [WriteOperation] {
        let runID = run["id"]!.stringValue!
        let owner: [String: JSONValue] = ["runId": run["id"]!, "experimentId": run["experimentId"]!, "projectId": run["projectId"]!]
        let ids = series.map { Self.seriesID(run: runID, key: $0.key) }
        let stored = try await store.find("metric_series", Query(filter: ["id": ["$in": .array(ids.map(JSONValue.string))]]))
        let states = Dictionary(uniqueKeysWithValues: stored.compactMap { doc in doc["id"]?.stringValue.map { ($0, doc) } })

        // The tier documents the first new point of each series falls in, fetched at once.
        var tierIDs: [JSONValue] = []
        for id in ids {
            let count = Int(states[id]?["count"]?.intValue ?? 0)
            for level in MetricTiers.levels where count > 0 {
                tierIDs.append(.string(MetricTiers.Document.id(series: id, level: level, chunk: count / MetricTiers.width(level) / MetricTiers.bucketsPerDocument)))
            }
        }
        let tierDocuments = tierIDs.isEmpty ? [] : try await store.find("metric_tiers", Query(filter: ["id": ["$in": .array(tierIDs)]]))
        let tiers = Dictionary(uniqueKeysWithValues: tierDocuments.compactMap { doc in doc["id"]?.stringValue.map { ($0, doc) } })

        var operations: [WriteOperation] = []
        var runSet: [String: JSONValue] = ["updatedAt": .string(Timestamp.now)]
        for (offset, (key, points)) in series.enumerated() {
            let id = ids[offset]
            let state = states[id]
            let count = Int(state?["count"]?.intValue ?? 0)
            let end = count + points.values.count
            operations.append(.insert(.object(owner.merging([
                "id": .string("\(id):\(String(count).leftPadded(to: 12))"), "seriesId": .string(id), "start": .int(Int64(count)), "end": .int(Int64(end)),
                "values": .array(points.values.map(JSONValue.double)), "steps": .array(points.steps.map(JSONValue.int)), "timestamps": .array(points.times.map(JSONValue.int)),
            ]) { $1 }), into: "metric_chunks"))

            for level in MetricTiers.levels {
                let chunk = count / MetricTiers.width(level) / MetricTiers.bucketsPerDocument
                let existingID = MetricTiers.Document.id(series: id, level: level, chunk: chunk)
                let existing = tiers[existingID].flatMap(MetricTiers.Document.init)
                for document in MetricTiers.append(values: points.values, steps: points.steps, first: count, level: level, existing: existing) {
                    let documentID = MetricTiers.Document.id(series: id, level: level, chunk: document.chunk)
                    // Replaced whole: an update would parse the stored copy only to overwrite it.
                    if tiers[documentID] != nil { operations.append(.delete("metric_tiers", filter: ["id": .string(documentID)])) }
                    operations.append(.insert(.object(owner.merging(document.fields()) { $1 }.merging([
                        "id": .string(documentID), "seriesId": .string(id), "level": .int(Int64(level)), "chunk": .int(Int64(document.chunk)),
                    ]) { $1 }), into: "metric_tiers"))
                }
            }

            let summary = Self.summary(previous: state, points: points, count: end)
            if state == nil {
                operations.append(.insert(.object(owner.merging(summary) { $1 }.merging(["id": .string(id), "key": .string(key)]) { $1 }), into: "metric_series"))
            } else {
                // Guarded by the count it read: a concurrent append makes this batch fail on the chunk id anyway.
                operations.append(.update("metric_series", filter: ["id": .string(id), "count": .int(Int64(count))], update: ["$set": .object(summary)], many: false))
            }
            let encoded = FieldKey.encode(key)
            runSet["metrics.\(encoded)"] = summary["last"]?["value"] ?? .null
            runSet["metricSummaries.\(encoded)"] = [
                "min": summary["min"]!, "max": summary["max"]!, "step": summary["last"]?["step"] ?? 0,
                "timestamp": summary["last"]?["timestamp"] ?? 0, "count": .int(Int64(end)),
            ]
        }
        operations.append(.update("runs", filter: ["id": .string(runID)], update: ["$set": .object(runSet)], many: false))
        return operations
    }

    /// count, min, max and the latest point (greatest step, then timestamp, then arrival).
    private static func summary(previous: JSONValue?, points: (values: [Double], steps: [Int64], times: [Int64]), count: Int) -> [String: JSONValue] {
        var minimum = previous?["min"]?.numberValue ?? .infinity
        var maximum = previous?["max"]?.numberValue ?? -.infinity
        var last = previous?["last"].flatMap { last in
            last["value"]?.numberValue.map { (value: $0, step: last["step"]?.intValue ?? 0, time: last["timestamp"]?.intValue ?? 0) }
        }
        for index in points.values.indices {
            let value = points.values[index]
            minimum = min(minimum, value)
            maximum = max(maximum, value)
            if last == nil || (points.steps[index], points.times[index]) >= (last!.step, last!.time) {
                last = (value, points.steps[index], points.times[index])
            }
        }
        return [
            "count": .int(Int64(count)), "min": .double(minimum), "max": .double(maximum),
            "last": ["value": .double(last!.value), "step": .int(last!.step), "timestamp": .int(last!.time)],
        ]
    }

    func series(run runID: String, key: String) async throws -> JSONValue? {
        try await store.get(Self.seriesID(run: runID, key: key), from: "metric_series")
    }

    func series(of runID: String) async throws -> [JSONValue] {
        try await store.find("metric_series", Query(filter: ["runId": .string(runID)], sort: [.ascending("key")]))
    }

    /// Points `after ..< after + limit` of a series in arrival order.
    func points(series id: String, after: Int, limit: Int) async throws -> [(value: Double, step: Int64, timestamp: Int64)] {
        var points: [(value: Double, step: Int64, timestamp: Int64)] = []
        var cursor = after
        while points.count < limit {
            let chunks = try await store.find("metric_chunks", Query(filter: ["seriesId": .string(id), "end": ["$gt": .int(Int64(cursor))]], sort: [.ascending("end")], limit: 8))
            guard !chunks.isEmpty else { break }
            for chunk in chunks {
                guard let start = chunk["start"]?.intValue, let values = chunk["values"]?.arrayValue,
                      let steps = chunk["steps"]?.arrayValue, let times = chunk["timestamps"]?.arrayValue else { continue }
                var index = max(cursor - Int(start), 0)
                while index < values.count, points.count < limit {
                    points.append((values[index].numberValue ?? .nan, steps[index].intValue ?? 0, times[index].intValue ?? 0))
                    index += 1
                }
                cursor = Int(start) + index
                if points.count == limit { break }
            }
        }
        return points
    }

    /// A level's buckets from its first, in order.
    func tierBuckets(series id: String, level: Int) async throws -> [MetricTiers.Bucket] {
        let documents = try await store.find("metric_tiers", Query(filter: ["seriesId": .string(id), "level": .int(Int64(level))], sort: [.ascending("chunk")]))
        return documents.compactMap(MetricTiers.Document.init).flatMap(\.buckets)
    }
}

extension String {
    /// Zero-padded so ids sort as their numbers do.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
