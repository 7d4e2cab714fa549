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

    /// One stored document: buckets `chunk * 128 ..< chunk * 128 + buckets.count` of a level.
    struct Document: Sendable {
        var level: Int
        var chunk: Int
        var buckets: [Bucket]

        static func id(series: String, level: Int, chunk: Int) -> String { "\(series):t\(level):\(chunk)" }

        init(level: Int, chunk: Int, buckets: [Bucket] = []) {
            self.level = level
            self.chunk = chunk
            self.buckets = buckets
        }

        init?(_ document: JSONValue) {
            guard let level = document["level"]?.intValue, let chunk = document["chunk"]?.intValue,
                  let mins = document["min"]?.arrayValue, let maxes = document["max"]?.arrayValue, let lasts = document["last"]?.arrayValue,
                  let firsts = document["firstStep"]?.arrayValue, let lastSteps = document["lastStep"]?.arrayValue,
                  Set([mins.count, maxes.count, lasts.count, firsts.count, lastSteps.count]).count == 1
            else { return nil }
            self.level = Int(level)
            self.chunk = Int(chunk)
            buckets = mins.indices.map { index in
                Bucket(
                    min: mins[index].numberValue ?? .nan, max: maxes[index].numberValue ?? .nan, last: lasts[index].numberValue ?? .nan,
                    firstStep: firsts[index].intValue ?? 0, lastStep: lastSteps[index].intValue ?? 0
                )
            }
        }

        /// The arrays stored (a document per level and chunk; `owner` holds runId, projectId …).
        func fields() -> [String: JSONValue] {
            [
                "min": .array(buckets.map { .double($0.min) }), "max": .array(buckets.map { .double($0.max) }),
                "last": .array(buckets.map { .double($0.last) }),
                "firstStep": .array(buckets.map { .int($0.firstStep) }), "lastStep": .array(buckets.map { .int($0.lastStep) }),
            ]
        }
    }

    /// Adds points `first ..< first + values.count` of a series to the level's documents:
    /// `existing` holds the stored document with the bucket `first` falls in (when there is
    /// one); returns every document that changed or is new.
    static func append(values: [Double], steps: [Int64], first: Int, level: Int, existing: Document?) -> [Document] {
        let width = width(level)
        var changed: [Int: Document] = [:]
        if let existing { changed[existing.chunk] = existing }
        for offset in values.indices {
            let index = first + offset
            let bucket = index / width
            let chunk = bucket / bucketsPerDocument
            let slot = bucket % bucketsPerDocument
            var document = changed[chunk] ?? Document(level: level, chunk: chunk)
            let point = Bucket(values[offset], step: steps[offset])
            if slot < document.buckets.count {
                document.buckets[slot].absorb(point)
            } else {
                document.buckets.append(point)
            }
            changed[chunk] = document
        }
        return changed.keys.sorted().map { changed[$0]! }
    }
}
