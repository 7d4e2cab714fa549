import Platform
import SQLite

/// Pages ordered by a dynamic key (`metrics.acc desc`) read in that key's order from the
/// key/value table, so a page costs what it returns rather than what the collection holds.
///
/// Answered from the filter alone, "metrics.acc > 0.9 and params.opt = 'adam' order by
/// metrics.acc desc, top 100" must find every run matching both conditions (10% of 100k runs
/// each: 20k index entries) and sort them. Read in key order instead, it walks `(key, value, id)`
/// from the best value down, checks each run's document against the whole filter, and stops at
/// the 100th match: about 100 / selectivity documents. When matches are rare that walk would
/// be long, so it is bounded (`candidateBudget`): past it, the search is answered from the
/// filter, whose work is then bounded by the rare condition instead.
///
/// Only when the filter itself holds the sort key to a non-null scalar (an equality, range or
/// `$in` on it, ANDed with the rest): the key/value table has rows for exactly those
/// documents, so reading it in order misses none of the page.
extension SQLiteDocumentStore {
    /// The page in key order, or nil when this query is not one key order can answer whole.
    func findInKeyOrder(_ collection: String, _ query: Query) async throws -> [JSONValue]? {
        guard let limit = query.limit, limit > 0, query.sort.count == 1,
            let index = dynamicKeys.withLock({ $0[collection] })
        else { return nil }
        let sortKey = query.sort[0]
        let path = try FieldPath(sortKey.path)
        guard index.covers(path) else { return nil }

        // The candidates: the sort key's rows its own conditions admit, after the page token.
        var candidates = SQLFilterCompiler()
        var conditions = ["key = \(candidates.placeholder(.string(path.dotted)))"]
        for part in Self.conjuncts(try Filter(parsing: query.filter)) {
            if case .compare(let comparedPath, let comparison) = part, comparedPath == path,
                let condition = candidates.positiveComparison(comparison, column: "value")
            {
                conditions.append(condition)
            }
        }
        // Without a condition on the key, the documents lacking it are not in the key/value table:
        // descending they come after every value, so a full page read in key order is still the
        // page, provided no document holds something the table leaves out (arrays, objects).
        let bounded = conditions.count > 1
        guard bounded || (index.scalarValues && sortKey.descending) else { return nil }
        guard let (resume, filter) = try Self.resumption(of: query, at: path, column: "value", binding: &candidates)
        else { return nil }
        if let resume { conditions.append(resume) }

        let direction = sortKey.descending ? "DESC" : "ASC"
        let walk =
            "SELECT id FROM \(index.table) WHERE \(conditions.joined(separator: " AND ")) "
            + "ORDER BY value \(direction), id \(direction)"
        return try await page(
            of: collection, walking: walk, bindings: candidates.bindings, filter: filter, limit: limit,
            shortPageIsWhole: bounded)
    }

    /// The parts of a filter that must all hold: nested ANDs flattened.
    static func conjuncts(_ filter: Filter) -> [Filter] {
        if case .and(let parts) = filter { return parts.flatMap(conjuncts) }
        return [filter]
    }
}
