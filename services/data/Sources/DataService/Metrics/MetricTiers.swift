import Platform

/// The coarser copies of a metric series kept at ingest so a chart of any length reads a few
/// thousand numbers, never the whole series (issue: downsampling a million points per request
/// is not fast). Level L groups the series, in arrival order, into buckets of 8^L points
/// (8 … 262,144) and keeps each bucket's min, max and last value and its first and last step.
/// Buckets are stored 128 to a document (`metric_tiers`), so an ingest rewrites only the small
/// documents its points fall in.
///
/// A level is kept only once the series fills one of its documents (`isKept`): a series of a
/// few points has no tiers at all (issue 25: six tier documents per one-point series were most
/// of the store). A view that would read a level not kept yet reads the next finer kept level
/// or the raw points instead, which are then fewer than 1024 buckets or points.
enum MetricTiers {
    static let levels = 1...6
    /// Small enough that an ingest rewrites a few kilobytes per level; a chart still reads at
    /// most ~64 documents of a level (8 × 1000 buckets).
    static let bucketsPerDocument = 128

    static func width(_ level: Int) -> Int { 1 << (3 * level) }

    /// One bucket's summary; merging two adjacent ones (left then right) is exact. `min` and
    /// `max` are over the values that are not NaN, NaN when all are; `last` may be NaN.
    struct Bucket: Equatable, Sendable {
        var min: Double
        var max: Double
        var last: Double
        var firstStep: Int64
        var lastStep: Int64

        init(_ value: Double, step: Int64) {
            min = value
            max = value
            last = value
            firstStep = step
            lastStep = step
        }

        init(min: Double, max: Double, last: Double, firstStep: Int64, lastStep: Int64) {
            self.min = min
            self.max = max
            self.last = last
            self.firstStep = firstStep
            self.lastStep = lastStep
        }

        mutating func absorb(_ later: Bucket) {
            // IEEE's minimum and maximum pass over a NaN operand.
            min = .minimum(min, later.min)
            max = .maximum(max, later.max)
            last = later.last
            lastStep = later.lastStep
        }
    }

    /// Whether a series of `count` points keeps `level`: once the level fills one document.
    static func isKept(_ level: Int, count: Int) -> Bool {
        count >= bucketsPerDocument * width(level)
    }

    /// The coarsest level no coarser than `level` that a series of `count` points keeps, nil
    /// when it keeps none (then its points are fewer than `bucketsPerDocument × 8`).
    static func coarsestKept(atMost level: Int, count: Int) -> Int? {
        (levels.lowerBound...level).last { isKept($0, count: count) }
    }

    /// The document of a level that holds the bucket point `index` falls in.
    static func chunk(of index: Int, level: Int) -> Int {
        index / width(level) / bucketsPerDocument
    }

    /// Adds points `first ..< first + values.count` of a series to a level's buckets:
    /// `existing` holds the stored buckets of the document point `first` falls in (none when
    /// there is no such document); returns the buckets of every document that changed or is
    /// new, by chunk.
    static func append(
        values: [Double], steps: [Int64], first: Int, level: Int, existing: [Bucket]
    ) -> [(chunk: Int, buckets: [Bucket])] {
        let width = width(level)
        var changed: [(chunk: Int, buckets: [Bucket])] = []
        var chunk = chunk(of: first, level: level)
        var buckets = existing
        // One pass, no lookups: points arrive in order, so they fill one document after another.
        var bucket = first / width
        var filled = first % width
        for offset in values.indices {
            if filled == width {
                bucket += 1
                filled = 0
            }
            filled += 1
            let (owner, slot) = bucket.quotientAndRemainder(dividingBy: bucketsPerDocument)
            if owner != chunk {
                changed.append((chunk, buckets))
                (chunk, buckets) = (owner, [])
                buckets.reserveCapacity(bucketsPerDocument)
            }
            let point = Bucket(values[offset], step: steps[offset])
            if slot < buckets.count { buckets[slot].absorb(point) } else { buckets.append(point) }
        }
        if !buckets.isEmpty { changed.append((chunk, buckets)) }
        return changed
    }

    /// Every document of `level` for a series that reaches it with this append: the stored
    /// points `0 ..< first` as `source` buckets of `sourceWidth` points each (a finer kept level,
    /// or the points themselves with width 1), then points `first ..< first + values.count`.
    static func build(
        level: Int, from source: [Bucket], sourceWidth: Int, values: [Double], steps: [Int64], first: Int
    ) -> [(chunk: Int, buckets: [Bucket])] {
        let group = width(level) / sourceWidth
        var buckets: [Bucket] = []
        buckets.reserveCapacity(source.count / group + 1)
        var start = 0
        while start < source.count {
            var bucket = source[start]
            for next in source[(start + 1)..<min(start + group, source.count)] { bucket.absorb(next) }
            buckets.append(bucket)
            start += group
        }
        // Whole documents before the one point `first` falls in; that one continues with the append.
        let open = chunk(of: first, level: level)
        var documents: [(chunk: Int, buckets: [Bucket])] = (0..<open).map { chunk in
            (chunk, Array(buckets[(chunk * bucketsPerDocument)..<((chunk + 1) * bucketsPerDocument)]))
        }
        let existing = Array(buckets[min(open * bucketsPerDocument, buckets.count)...])
        documents += append(values: values, steps: steps, first: first, level: level, existing: existing)
        return documents
    }
}
