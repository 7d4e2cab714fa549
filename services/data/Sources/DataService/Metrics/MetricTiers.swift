import Platform

/// The coarser copies of a metric series kept at ingest so a chart of any length reads a few
/// thousand numbers, never the whole series (issue: downsampling a million points per request
/// is not fast). Level L groups the series, in arrival order, into buckets of 8^L points
/// (8 … 262,144) and keeps each bucket's min, max and last value and its first and last step.
/// Buckets are stored 128 to a document (`metric_tiers`), so an ingest rewrites only the small
/// documents its points fall in.
enum MetricTiers {
    static let levels = 1...6
    /// Small enough that an ingest rewrites a few kilobytes per level; a chart still reads at
    /// most ~64 documents of a level (8 × 1000 buckets).
    static let bucketsPerDocument = 128

    static func width(_ level: Int) -> Int { 1 << (3 * level) }

    /// One bucket's summary; merging two adjacent ones (left then right) is exact.
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
            min = Swift.min(min, later.min)
            max = Swift.max(max, later.max)
            last = later.last
            lastStep = later.lastStep
        }
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
        var changed: [Int: [Bucket]] = [chunk(of: first, level: level): existing]
        for offset in values.indices {
            let bucket = (first + offset) / width
            let (chunk, slot) = bucket.quotientAndRemainder(dividingBy: bucketsPerDocument)
            let point = Bucket(values[offset], step: steps[offset])
            // Mutated in place: points arrive in order, so a bucket past the end is the next one.
            if slot < changed[chunk, default: []].count {
                changed[chunk, default: []][slot].absorb(point)
            } else {
                changed[chunk, default: []].append(point)
            }
        }
        return changed.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
