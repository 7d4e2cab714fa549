import Platform

/// A chart's view of a series, or of the points `from ..< to` of it: at most `buckets`
/// consecutive buckets, each with the exact min, max and last value of its points and its first
/// and last step. The bucket width is a multiple of the width of the coarsest tier that still
/// gives enough buckets (at most 8× the buckets asked for); it is read from that tier, or from
/// the next finer one the series keeps (`MetricTiers.isKept`), or from the raw points, so the
/// cost depends on `buckets` (or, where the series keeps no such tier yet, on fewer than 1024
/// finer buckets or points), not on the series' length. Which of them is read never changes
/// the answer.
///
/// Buckets are aligned to their width from point 0, as the tiers are, so a range is answered
/// from whole tier buckets: the view of a range is the aligned buckets it touches, the first
/// of which may start before `from` and the last end after `to` (each says its `start` and
/// `count`). The width is the smallest of the plan's that keeps those buckets within `buckets`.
enum Downsampling {
    struct Plan: Equatable {
        /// Points per output bucket (the last one may hold fewer).
        let width: Int
        /// The tier read, or nil for the raw points.
        let level: Int?
    }

    /// The plan for the whole series.
    static func plan(count: Int, buckets: Int) -> Plan {
        plan(range: 0..<count, count: count, buckets: buckets)
    }

    /// The plan for points `range` of a series of `count` points.
    static func plan(range: Range<Int>, count: Int, buckets: Int) -> Plan {
        var needed = max(1, (range.count + buckets - 1) / buckets)
        while true {
            let plan = plan(width: needed, count: count)
            // A range not starting on a bucket boundary touches one or two buckets more than
            // its length needs; widen until the touched buckets fit.
            if aligned(range, width: plan.width).count <= buckets { return plan }
            needed = plan.width + 1
        }
    }

    /// The smallest width of at least `needed` that is whole buckets of a tier, and the level to read.
    private static func plan(width needed: Int, count: Int) -> Plan {
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

    /// The indexes of the buckets of `width` (from point 0) that points `range` fall in.
    static func aligned(_ range: Range<Int>, width: Int) -> Range<Int> {
        guard !range.isEmpty else { return 0..<0 }
        return (range.lowerBound / width)..<((range.upperBound + width - 1) / width)
    }

    /// Merges `inputs` (each covering `inputWidth` points, in order, the first starting at
    /// point `first`, a multiple of `width`) into buckets of `width`.
    static func merge(
        _ inputs: [MetricTiers.Bucket], inputWidth: Int, width: Int, first: Int = 0, count: Int
    ) -> [JSONValue] {
        let group = width / inputWidth
        var output: [JSONValue] = []
        output.reserveCapacity(inputs.count / group + 1)
        var start = 0
        while start < inputs.count {
            var bucket = inputs[start]
            for next in inputs[(start + 1)..<min(start + group, inputs.count)] { bucket.absorb(next) }
            let firstPoint = first + start * inputWidth
            output.append([
                "start": .int(Int64(firstPoint)), "count": .int(Int64(min(width, count - firstPoint))),
                "firstStep": .int(bucket.firstStep), "lastStep": .int(bucket.lastStep),
                "min": MetricValue.json(bucket.min), "max": MetricValue.json(bucket.max),
                "last": MetricValue.json(bucket.last),
            ])
            start += group
        }
        return output
    }

    /// The view of a series, or of its points `range` (cut to the series), in at most `buckets` buckets.
    static func view(
        of series: MetricSeries, buckets: Int, range: Range<Int>? = nil, metrics: MetricSeriesStore
    ) async throws -> (width: Int, buckets: [JSONValue]) {
        let count = Int(series.count)
        let wanted = (range ?? 0..<count).clamped(to: 0..<count)
        guard !wanted.isEmpty else { return (1, []) }
        let plan = plan(range: wanted, count: count, buckets: buckets)
        let touched = aligned(wanted, width: plan.width)
        let first = touched.lowerBound * plan.width
        let end = min(count, touched.upperBound * plan.width)
        if let level = plan.level {
            let tierWidth = MetricTiers.width(level)
            let tier = try await metrics.tierBuckets(
                series: series.id, level: level, buckets: (first / tierWidth)..<((end + tierWidth - 1) / tierWidth))
            return (plan.width, merge(tier, inputWidth: tierWidth, width: plan.width, first: first, count: count))
        }
        let points = try await metrics.points(of: series, after: first, limit: end - first)
        let singles = points.map { MetricTiers.Bucket($0.value, step: $0.step) }
        return (plan.width, merge(singles, inputWidth: 1, width: plan.width, first: first, count: count))
    }
}
