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
    /// Index entries of the sort key read before giving up on key order.
    static func candidateBudget(limit: Int) -> Int { max(2000, 20 * limit) }

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
        guard conditions.count > 1 else { return nil }
        var filter = query.filter
        if let after = query.after {
            guard let last = after.value(at: path), Self.isOrderable(last), case .string(let lastID)? = after["id"]
            else { return nil }
            let op = sortKey.descending ? "<" : ">"
            let value = candidates.placeholder(last)
            let tie = candidates.placeholder(last)
            conditions.append(
                "(value \(op) \(value) OR (value = \(tie) AND id \(op) \(candidates.placeholder(.string(lastID)))))")
            filter = ["$and": [filter, try Keyset.filter(sort: query.sort, after: after)]]
        }

        // Each candidate answers the whole filter: conditions on dynamic keys probe the key/value
        // table for that candidate's id, so a document is read only for what the rest of the
        // filter asks of it, and not at all when nothing does (parsing every candidate's
        // document made a page of a three-condition filter cost 4× what it did without the walk).
        var documents = SQLFilterCompiler(dynamicKeys: index, probing: "w.listed_id")
        let matches = try documents.compile(filter)
        let direction = sortKey.descending ? "DESC" : "ASC"
        let budget = Self.candidateBudget(limit: limit)
        let walk =
            "SELECT id FROM \(index.table) WHERE \(conditions.joined(separator: " AND ")) "
            + "ORDER BY value \(direction), id \(direction) LIMIT \(budget)"
        // Candidates are checked a batch at a time, in walk order, and the walk stops at the
        // page's last match: one statement that sorted the matches would check every candidate
        // of the budget and carry their documents through its sorter (80 ms for a broad filter).
        // json_each's own columns (id, key, value…) are renamed, so the filter's `id` is the document's.
        let listed = "(SELECT value AS listed_id, key AS listed_at FROM json_each(?)) AS w"
        let table = try Self.table(collection)
        let check =
            documents.readsDocument
            ? "SELECT w.listed_id FROM \(listed) CROSS JOIN \(table) AS d ON d.id = w.listed_id WHERE \(matches)"
            : "SELECT w.listed_id FROM \(listed) WHERE \(matches)"
        let fetch = "SELECT d.doc FROM \(listed) CROSS JOIN \(table) AS d ON d.id = w.listed_id ORDER BY w.listed_at"
        let walkBindings = candidates.bindings
        let checkBindings = documents.bindings
        let batch = max(64, 4 * limit)
        let page = try await readers.read { connection -> [SQLiteValue]? in
            // One snapshot for the walk, the checks and the documents.
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            let walked = try connection.query(walk, walkBindings).compactMap { $0[0].text }
            var page: [String] = []
            var next = walked.startIndex
            while page.count < limit, next < walked.endIndex {
                let ids = Array(walked[next..<min(next + batch, walked.endIndex)])
                next += ids.count
                let matched = Set(
                    try connection.query(check, [.text(Self.jsonArray(ids))] + checkBindings).compactMap { $0[0].text })
                page += ids.lazy.filter(matched.contains).prefix(limit - page.count)
            }
            // A short page is the whole answer only if the walk saw every candidate.
            if page.count < limit, walked.count == budget { return nil }
            return try connection.query(fetch, [.text(Self.jsonArray(page))]).map { $0[0] }
        }
        return try page?.map(Self.decode)
    }

    /// Ids as a JSON array of strings, for `json_each`.
    private static func jsonArray(_ ids: [String]) -> String {
        JSONValue.array(ids.map(JSONValue.string)).jsonText
    }

    /// The parts of a filter that must all hold: nested ANDs flattened.
    private static func conjuncts(_ filter: Filter) -> [Filter] {
        if case .and(let parts) = filter { return parts.flatMap(conjuncts) }
        return [filter]
    }

    private static func isOrderable(_ value: JSONValue) -> Bool {
        switch value {
        case .int, .double, .string, .bool: true
        case .null, .array, .object: false
        }
    }
}
