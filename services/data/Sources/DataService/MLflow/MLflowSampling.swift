import Platform

/// MLflow's sampling for get-history-bulk-interval: of a run's points whose step lies in the
/// range (ordered by step, then time), at most `maxResults` spread evenly, always the first and
/// the last (only the last when one is asked for).
///
/// A series of up to `exactLimit` points is read whole and sampled exactly as MLflow's server
/// does. A longer one is read from the downsampling tiers (`Downsampling.view`), so the cost
/// depends on `maxResults`, not on the series' length: each tier bucket gives the point that
/// ends it (its last step and value, exact); the first and last points are read exactly. Tier
/// buckets keep no times, so a bucket's point carries a time estimated from its position between
/// the first and last points (docs/mlflow.md). The tiers are in arrival order, which is step
/// order for series logged step after step, as training loops log them.
enum MLflowSampling {
    static let exactLimit = 25_000

    static func sample(
        _ series: MetricSeries, steps range: ClosedRange<Int64>?, maxResults: Int, metrics: MetricSeriesStore
    ) async throws -> [MetricPoint] {
        if series.count <= exactLimit {
            let all = try await metrics.points(of: series, after: 0, limit: Int(series.count))
            let inRange = all.filter { range?.contains($0.step) ?? true }.sorted(by: inMLflowOrder)
            return evenlySpacedIndices(total: inRange.count, maxResults: maxResults).map { inRange[$0] }
        }
        return try await fromTiers(series, steps: range, maxResults: maxResults, metrics: metrics)
    }

    /// MLflow's server orders points by step, timestamp, value, is_nan, with a NaN stored as
    /// value 0: a NaN ties with 0 and comes after it. A plain `<` on a NaN would break the sort.
    static func inMLflowOrder(_ a: MetricPoint, _ b: MetricPoint) -> Bool {
        (a.step, a.timestamp, a.value.isNaN ? 0 : a.value, a.value.isNaN ? 1 : 0)
            < (b.step, b.timestamp, b.value.isNaN ? 0 : b.value, b.value.isNaN ? 1 : 0)
    }

    /// MLflow's `_evenly_spaced_indices`.
    static func evenlySpacedIndices(total: Int, maxResults: Int) -> [Int] {
        guard total > 0 else { return [] }
        if total <= maxResults { return Array(0..<total) }
        if maxResults == 1 { return [total - 1] }
        let step = Double(total - 1) / Double(maxResults - 1)
        return Array(Set((0..<maxResults).map { Int((Double($0) * step).rounded(.toNearestOrEven)) })).sorted()
    }

    private static func fromTiers(
        _ series: MetricSeries, steps range: ClosedRange<Int64>?, maxResults: Int, metrics: MetricSeriesStore
    ) async throws -> [MetricPoint] {
        let count = Int(series.count)
        var indexes = 0..<count
        if let range {
            // The points whose steps fall in the range, located on the finest view of the series
            // that stays within one read of at most 5000 buckets.
            let coarse = try await Downsampling.view(of: series, buckets: 5000, metrics: metrics)
            let touching = coarse.buckets.filter { bucket in
                guard let first = bucket["firstStep"]?.intValue, let last = bucket["lastStep"]?.intValue else {
                    return false
                }
                return first <= range.upperBound && last >= range.lowerBound
            }
            guard let low = touching.first?["start"]?.intValue, let lastBucket = touching.last,
                let start = lastBucket["start"]?.intValue, let size = lastBucket["count"]?.intValue
            else { return [] }
            indexes = Int(low)..<Int(start + size)
            if indexes.count <= exactLimit {
                let points = try await metrics.points(of: series, after: indexes.lowerBound, limit: indexes.count)
                let inRange = points.filter { range.contains($0.step) }.sorted(by: inMLflowOrder)
                return evenlySpacedIndices(total: inRange.count, maxResults: maxResults).map { inRange[$0] }
            }
        }
        let last = try await metrics.points(of: series, after: indexes.upperBound - 1, limit: 1).first
        guard let last else { return [] }
        if maxResults == 1 { return [last] }
        guard let first = try await metrics.points(of: series, after: indexes.lowerBound, limit: 1).first else {
            return [last]
        }
        let view = try await Downsampling.view(
            of: series, buckets: max(1, maxResults - 2), range: indexes, metrics: metrics)
        var sampled = [first]
        let span = Double(max(1, indexes.count - 1))
        for bucket in view.buckets {
            guard let start = bucket["start"]?.intValue, let size = bucket["count"]?.intValue,
                let step = bucket["lastStep"]?.intValue, let value = MetricValue.read(bucket["last"])
            else { continue }
            let end = Int(start + size) - 1
            guard end > indexes.lowerBound, end < indexes.upperBound - 1 else { continue }
            if let range, !range.contains(step) { continue }
            let fraction = Double(end - indexes.lowerBound) / span
            let time = first.timestamp + Int64((Double(last.timestamp - first.timestamp) * fraction).rounded())
            sampled.append(MetricPoint(value: value, step: step, timestamp: time))
        }
        if let range {
            sampled = sampled.filter { range.contains($0.step) }
            if range.contains(last.step) { sampled.append(last) }
        } else {
            sampled.append(last)
        }
        if sampled.count > maxResults, let end = sampled.last {
            sampled = Array(sampled.prefix(maxResults - 1)) + [end]
        }
        return sampled
    }
}
