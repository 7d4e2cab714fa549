import Synchronization

/// When each collection's planner statistics are due: SQLite plans from `sqlite_stat1`, and
/// without it assumes any indexed equality is selective, which sends a search over 100k runs
/// of one project through the project index. Statistics are gathered once a collection holds
/// 1000 documents and again each time it doubles, so their cost stays logarithmic in its size.
final class PlannerStatistics: Sendable {
    private struct Counts {
        var atLastAnalysis = 0
        var insertedSince = 0
    }

    private static let minimumRows = 1000
    private let counts = Mutex<[String: Counts]>([:])

    /// At start: statistics gathered when the collection held `rowsAtLastAnalysis` documents,
    /// or (nil) none yet for its `rows` documents, which are due if they are many.
    func prepared(_ collection: String, rowsAtLastAnalysis: Int?, rows: Int) {
        counts.withLock {
            $0[collection] =
                rowsAtLastAnalysis.map { Counts(atLastAnalysis: $0, insertedSince: 0) }
                ?? Counts(atLastAnalysis: 0, insertedSince: rows)
        }
    }

    /// Counts an insert; collections never `prepared` (those without statistics) are not tracked.
    func inserted(into collection: String) {
        counts.withLock { $0[collection]?.insertedSince += 1 }
    }

    /// The collections due now, marked as analysed.
    func due() -> [String] {
        counts.withLock { counts in
            var due: [String] = []
            for (collection, count) in counts where count.insertedSince >= max(Self.minimumRows, count.atLastAnalysis) {
                counts[collection] = Counts(
                    atLastAnalysis: count.atLastAnalysis + count.insertedSince, insertedSince: 0)
                due.append(collection)
            }
            return due
        }
    }
}
