import Foundation
import Platform
import Store

/// Metric series of runs: (key, value, step, timestamp) points appended in batches.
///
/// A series (`MetricSeries`) stores its points in arrival order as chunks (`MetricChunk`, one
/// per series per request), keeps the tiers of `MetricTiers` for charts (`MetricTier`), and the
/// run keeps each key's latest value and min/max for search. One request is one batch: the
/// points, the tiers and the run's summary change together or not at all. Writers racing on a
/// series collide on the chunk id (its start index) and the loser retries on fresh state.
///
/// A series of one point is only its run's summary (`MetricSeries.inRun`): its first point is
/// written to the run alone, guarded by the key being absent there; the second point stores
/// the series and a chunk holding both, as if they had come together.
struct MetricSeriesStore: Sendable {
    let store: any DocumentStore
    private let appends = RunAppendQueue()

    init(store: any DocumentStore) {
        self.store = store
    }

    /// Stores a checked batch (see `MetricBatch`).
    func append(_ batch: MetricBatch, to run: Run) async throws {
        guard !batch.series.isEmpty else { return }
        try await appends.serialized(run: run.id) { try await appendNow(batch, to: run) }
    }

    private func appendNow(_ batch: MetricBatch, to run: Run) async throws {
        for attempt in 1...5 {
            do {
                return try await store.batch(try await operations(for: batch.series, of: run))
            } catch let error as StoreError where [.duplicate, .conflict].contains(error.code) && attempt < 5 {
                // Another writer appended to one of these series first: start again from its state.
                try await Task.sleep(for: .milliseconds(attempt * 2))
            }
        }
        throw APIError.conflict(
            "metric series of this run kept changing under this request; retry", code: "write_conflict", field: "points"
        )
    }

    private func operations(for batch: [MetricBatch.Series], of requested: Run) async throws -> [WriteOperation] {
        // The run as it is now: the request read it before waiting its turn behind other
        // appends, and the one-point series it keeps are part of what this batch appends to.
        let run = try await store.get(requested.id, from: Run.collection).map(Run.init(document:)) ?? requested
        let ids = batch.map { MetricSeries.id(run: run.id, key: $0.key) }
        let stored = try await store.find(
            "metric_series", Query(filter: ["id": ["$in": .array(ids.map(JSONValue.string))]]))
        let previous = try Self.byID(stored.map(MetricSeries.init(document:)), id: \.id)

        // The kept tier documents the first new point of each series falls in, fetched at once.
        var tierIDs: [JSONValue] = []
        for id in ids {
            let count = Int(previous[id]?.count ?? 0)
            for level in MetricTiers.levels where MetricTiers.isKept(level, count: count) {
                tierIDs.append(
                    .string(MetricTier.id(series: id, level: level, chunk: MetricTiers.chunk(of: count, level: level))))
            }
        }
        let tierDocuments =
            tierIDs.isEmpty ? [] : try await store.find("metric_tiers", Query(filter: ["id": ["$in": .array(tierIDs)]]))
        let tiers = try Self.byID(tierDocuments.map(MetricTier.init(document:)), id: \.id)

        var operations: [WriteOperation] = []
        var runSet: [String: JSONValue] = ["updatedAt": .string(Timestamp.now)]
        // The run's update, narrowed to the state it was computed from when a series stays in the run.
        var runFilter: [String: JSONValue] = ["id": .string(run.id)]
        for (offset, appended) in batch.enumerated() {
            let id = ids[offset]
            let before = previous[id]
            let encoded = FieldKey.encode(appended.key)
            var points = appended
            if before == nil, let single = MetricSeries(inRun: run, encodedKey: encoded) {
                // The point the run kept becomes the stored series' first; a writer racing this
                // one collides on the series id.
                points.values.insert(single.last.value, at: 0)
                points.steps.insert(single.last.step, at: 0)
                points.timestamps.insert(single.last.timestamp, at: 0)
            }
            guard let series = MetricSeries.appending(points, to: before, of: run) else { continue }
            let count = Int(before?.count ?? 0)
            runSet["metrics.\(encoded)"] = MetricValue.json(series.last.value)
            runSet["metricSummaries.\(encoded)"] = series.runSummary
            if series.count == 1 {
                runFilter["metricSummaries.\(encoded)"] = ["$exists": false]
                continue
            }
            operations.append(
                .insert(
                    MetricChunk(series: id, of: run, start: count, points: points).document(), into: "metric_chunks"))

            for level in MetricTiers.levels where MetricTiers.isKept(level, count: count) {
                let existing = tiers[
                    MetricTier.id(series: id, level: level, chunk: MetricTiers.chunk(of: count, level: level))]
                let changed = MetricTiers.append(
                    values: points.values, steps: points.steps, first: count, level: level,
                    existing: existing?.buckets ?? [])
                for (chunk, buckets) in changed {
                    let tier = MetricTier(series: id, of: run, level: level, chunk: chunk, buckets: buckets)
                    // Replaced whole: an update would parse the stored copy only to overwrite it.
                    if tiers[tier.id] != nil {
                        operations.append(.delete("metric_tiers", filter: ["id": .string(tier.id)]))
                    }
                    operations.append(.insert(tier.document(), into: "metric_tiers"))
                }
            }
            operations += try await newlyKeptTiers(of: id, run: run, count: count, appending: points)

            if before == nil {
                operations.append(.insert(series.document(), into: "metric_series"))
            } else {
                // Guarded by the count it read: a concurrent append makes this batch fail on the chunk id anyway.
                operations.append(
                    .update(
                        "metric_series", filter: ["id": .string(id), "count": .int(Int64(count))],
                        update: ["$set": .object(series.summary)], many: false))
            }
        }
        let update: JSONValue = ["$set": .object(runSet)]
        operations.append(
            runFilter.count == 1
                ? .update(Run.collection, filter: .object(runFilter), update: update, many: false)
                : .updateOrConflict(Run.collection, filter: .object(runFilter), update: update))
        return operations
    }

    /// The levels a series starts keeping with this append (`MetricTiers.isKept`), each built
    /// whole from the finest level it kept so far, or from its points (fewer than 1024 either
    /// way). Documents an older version wrote for the level before it was needed are replaced.
    private func newlyKeptTiers(
        of id: String, run: Run, count: Int, appending points: MetricBatch.Series
    ) async throws -> [WriteOperation] {
        let total = count + points.values.count
        let reached = MetricTiers.levels.filter {
            !MetricTiers.isKept($0, count: count) && MetricTiers.isKept($0, count: total)
        }
        guard let finest = reached.first else { return [] }
        let sourceLevel = MetricTiers.coarsestKept(atMost: finest, count: count)
        let source: [MetricTiers.Bucket]
        if let sourceLevel {
            source = try await tierBuckets(series: id, level: sourceLevel)
        } else {
            source = try await self.points(series: id, after: 0, limit: count).map {
                MetricTiers.Bucket($0.value, step: $0.step)
            }
        }
        var operations: [WriteOperation] = []
        for level in reached {
            operations.append(.delete("metric_tiers", filter: ["seriesId": .string(id), "level": .int(Int64(level))]))
            let documents = MetricTiers.build(
                level: level, from: source, sourceWidth: sourceLevel.map(MetricTiers.width) ?? 1,
                values: points.values, steps: points.steps, first: count)
            for (chunk, buckets) in documents {
                operations.append(
                    .insert(
                        MetricTier(series: id, of: run, level: level, chunk: chunk, buckets: buckets).document(),
                        into: "metric_tiers"))
            }
        }
        return operations
    }

    private static func byID<Record>(_ records: [Record], id: (Record) -> String) -> [String: Record] {
        Dictionary(records.map { (id($0), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The series of `run` under `key`, stored or kept in the run.
    func series(of run: Run, key: String) async throws -> MetricSeries? {
        if let stored = try await store.get(MetricSeries.id(run: run.id, key: key), from: "metric_series") {
            return try MetricSeries(document: stored)
        }
        return MetricSeries(inRun: run, encodedKey: FieldKey.encode(key))
    }

    /// Every series of `run` by key, stored or kept in the run.
    func series(of run: Run) async throws -> [MetricSeries] {
        let stored = try await store.find("metric_series", Query(filter: ["runId": .string(run.id)])).map(
            MetricSeries.init(document:))
        let storedKeys = Set(stored.map(\.key))
        let inRun = run.metricSummaries.stored.keys.compactMap { MetricSeries(inRun: run, encodedKey: $0) }
        return (stored + inRun.filter { !storedKeys.contains($0.key) }).sorted { $0.key < $1.key }
    }

    /// Points `after ..< after + limit` of `series` in arrival order.
    func points(of series: MetricSeries, after: Int, limit: Int) async throws -> [MetricPoint] {
        if series.inRun { return after == 0 && limit > 0 ? [series.last] : [] }
        return try await points(series: series.id, after: after, limit: limit)
    }

    /// Points `after ..< after + limit` of a stored series in arrival order.
    private func points(series id: String, after: Int, limit: Int) async throws -> [MetricPoint] {
        var points: [MetricPoint] = []
        points.reserveCapacity(min(limit, 100_000))
        var cursor = after
        // Chunks hold one request's points each, from 1 to 10,000: the chunks read per query
        // double until the page is full, so a page of single-point chunks takes a few queries.
        var chunksPerQuery = 8
        while points.count < limit {
            let chunks = try await store.find(
                "metric_chunks",
                Query(
                    filter: ["seriesId": .string(id), "end": ["$gt": .int(Int64(cursor))]], sort: [.ascending("end")],
                    limit: chunksPerQuery))
            guard !chunks.isEmpty else { break }
            chunksPerQuery = min(chunksPerQuery * 2, 1024)
            // Each chunk is read only once the page reaches it.
            for document in chunks {
                let chunk = try MetricChunk(document: document)
                var index = max(cursor - Int(chunk.start), 0)
                while index < chunk.count, points.count < limit {
                    points.append(chunk.point(at: index))
                    index += 1
                }
                cursor = Int(chunk.start) + index
                if points.count == limit { break }
            }
        }
        return points
    }

    /// A level's buckets from its first, in order.
    func tierBuckets(series id: String, level: Int) async throws -> [MetricTiers.Bucket] {
        let documents = try await store.find(
            "metric_tiers",
            Query(filter: ["seriesId": .string(id), "level": .int(Int64(level))], sort: [.ascending("chunk")]))
        return try documents.flatMap { try MetricTier(document: $0).buckets }
    }

    /// A level's buckets `range` (by bucket index), reading only the documents that hold them.
    func tierBuckets(series id: String, level: Int, buckets range: Range<Int>) async throws -> [MetricTiers.Bucket] {
        guard !range.isEmpty else { return [] }
        let perDocument = MetricTiers.bucketsPerDocument
        let chunks = (range.lowerBound / perDocument)...((range.upperBound - 1) / perDocument)
        let documents = try await store.find(
            "metric_tiers",
            Query(
                filter: [
                    "seriesId": .string(id), "level": .int(Int64(level)),
                    "chunk": ["$gte": .int(Int64(chunks.lowerBound)), "$lte": .int(Int64(chunks.upperBound))],
                ], sort: [.ascending("chunk")]))
        let buckets = try documents.flatMap { try MetricTier(document: $0).buckets }
        let offset = chunks.lowerBound * perDocument
        let from = min(range.lowerBound - offset, buckets.count)
        return Array(buckets[from..<min(range.upperBound - offset, buckets.count)])
    }
}
