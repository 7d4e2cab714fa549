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

    /// The collection holds `rows` documents at start; statistics are due if it is large.
    func prepared(_ collection: String, rows: Int) {
        counts.withLock { $0[collection] = Counts(atLastAnalysis: 0, insertedSince: rows) }
    }

    func inserted(into collection: String) {
        counts.withLock { $0[collection, default: Counts()].insertedSince += 1 }
    }

    /// The collections due now, marked as analysed.
    func due() -> [String] {
        counts.withLock { counts in
            var due: [String] = []
            for (collection, count) in counts where count.insertedSince >= max(Self.minimumRows, count.atLastAnalysis) {
                counts[collection] = Counts(atLastAnalysis: count.atLastAnalysis + count.insertedSince, insertedSince: 0)
                due.append(collection)
            }
            return due
        }
    }
}
