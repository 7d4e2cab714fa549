import Platform

/// A chart's view of a series: at most `buckets` consecutive buckets, each with the exact
/// min, max and last value of its points and its first and last step. The bucket width is a
/// multiple of the width of the coarsest tier that still gives enough buckets (at most 8× the
/// buckets asked for); it is read from that tier, or from the next finer one the series keeps
/// (`MetricTiers.isKept`), or from the raw points, so the cost depends on `buckets` (or, where
/// the series keeps no such tier yet, on fewer than 1024 finer buckets or points), not on the
/// series' length. Which of them is read never changes the answer.
enum Downsampling {
    struct Plan: Equatable {
        /// Points per output bucket (the last one may hold fewer).
        let width: Int
        /// The tier read, or nil for the raw points.
        let level: Int?
    }

    static func plan(count: Int, buckets: Int) -> Plan {
        let needed = max(1, (count + buckets - 1) / buckets)
        guard let level = MetricTiers.levels.last(where: { MetricTiers.width($0) <= needed }) else {
            return Plan(width: needed, level: nil)
        }
        let tierWidth = MetricTiers.width(level)
        // A multiple of the tier's width, so each output bucket is whole tier buckets (and so
        // whole buckets of any finer tier).
        return Plan(
            width: (needed + tierWidth - 1) / tierWidth * tierWidth,
            level: MetricTiers.coarsestKept(atMost: level, count: count))
    }

    /// Merges `inputs` (each covering `inputWidth` points, in order) into buckets of `width`.
    static func merge(_ inputs: [MetricTiers.Bucket], inputWidth: Int, width: Int, count: Int) -> [JSONValue] {
        let group = width / inputWidth
        var output: [JSONValue] = []
        output.reserveCapacity(inputs.count / group + 1)
        var start = 0
        while start < inputs.count {
            var bucket = inputs[start]
            for next in inputs[(start + 1)..<min(start + group, inputs.count)] { bucket.absorb(next) }
            let first = start * inputWidth
            output.append([
                "start": .int(Int64(first)), "count": .int(Int64(min(width, count - first))),
                "firstStep": .int(bucket.firstStep), "lastStep": .int(bucket.lastStep),
                "min": .double(bucket.min), "max": .double(bucket.max), "last": .double(bucket.last),
            ])
            start += group
        }
        return output
    }

    /// The view of a series in at most `buckets` buckets.
    static func view(
        of series: MetricSeries, buckets: Int, metrics: MetricSeriesStore
    ) async throws -> (width: Int, buckets: [JSONValue]) {
        let count = Int(series.count)
        guard count > 0 else { return (1, []) }
        let plan = plan(count: count, buckets: buckets)
        if let level = plan.level {
            let tier = try await metrics.tierBuckets(series: series.id, level: level)
            return (plan.width, merge(tier, inputWidth: MetricTiers.width(level), width: plan.width, count: count))
        }
        let points = try await metrics.points(of: series, after: 0, limit: count)
        let singles = points.map { MetricTiers.Bucket($0.value, step: $0.step) }
        return (plan.width, merge(singles, inputWidth: 1, width: plan.width, count: count))
    }
}
