import Platform
import SQLite

/// A page read by walking an index in the page's order (`findInKeyOrder`, `findInIndexOrder`):
/// candidates come in sort order, each is checked against the whole filter, and the walk stops
/// at the page's last match, so a page costs about `limit / selectivity` index entries whatever
/// the collection's size. A walk that would be long (rare matches) is cut at `candidateBudget`
/// and the search is answered from the filter instead, whose work the rare condition bounds.
extension SQLiteDocumentStore {
    /// Index entries read before giving up on a walk.
    static func candidateBudget(limit: Int) -> Int { max(2000, 20 * limit) }

    /// The page `walk` (a statement yielding candidate ids in page order, with `bindings`) finds
    /// for `filter`, or nil when the budget ran out before the page was full, or when the page
    /// is short and `shortPageIsWhole` is false (the walk does not see every document).
    func page(
        of collection: String, walking walk: String, bindings: [SQLiteValue], filter: JSONValue, limit: Int,
        shortPageIsWhole: Bool = true
    ) async throws -> [JSONValue]? {
        // Conditions on dynamic keys probe the key/value table for the candidate's id, so a
        // document is read only for what the rest of the filter asks of it, and not at all when
        // nothing does (parsing every candidate's document made a three-condition page cost 4×).
        var documents = SQLFilterCompiler(dynamicKeys: dynamicKeys.withLock { $0[collection] }, probing: "w.listed_id")
        let matches = try documents.compile(filter)
        let budget = Self.candidateBudget(limit: limit)
        // Checked a batch at a time, in walk order: one statement sorting the matches would check
        // every candidate of the budget and carry their documents through its sorter (80 ms for
        // a broad filter). json_each's own columns (id, key, value…) are renamed, so the filter's
        // `id` is the document's.
        let listed = "(SELECT value AS listed_id, key AS listed_at FROM json_each(?)) AS w"
        let table = try Self.table(collection)
        let check =
            documents.readsDocument
            ? "SELECT w.listed_id FROM \(listed) CROSS JOIN \(table) AS d ON d.id = w.listed_id WHERE \(matches)"
            : "SELECT w.listed_id FROM \(listed) WHERE \(matches)"
        let fetch = "SELECT d.doc FROM \(listed) CROSS JOIN \(table) AS d ON d.id = w.listed_id ORDER BY w.listed_at"
        let walkLimited = "\(walk) LIMIT \(budget)"
        let checkBindings = documents.bindings
        let batch = max(64, 4 * limit)
        // Parsed on the reader's thread, as `find` does.
        return try await readers.read { connection -> [JSONValue]? in
            // One snapshot for the walk, the checks and the documents.
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            let walked = try connection.query(walkLimited, bindings).compactMap { $0[0].text }
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
            if page.count < limit, walked.count == budget || !shortPageIsWhole { return nil }
            return try connection.query(fetch, [.text(Self.jsonArray(page))]).map { try Self.decode($0[0]) }
        }
    }

    /// Where a walk ordered by `column`, then id, resumes after the previous page's last
    /// document (`query.after`), with the filter joined to that page's keyset, which decides: the
    /// condition only skips the walk ahead. Without `after`, no condition and the query's filter;
    /// nil when the last value cannot be compared, so the filter answers instead.
    static func resumption(
        of query: Query, at path: FieldPath, column: String, missingFollow: Bool = false,
        binding compiler: inout SQLFilterCompiler
    ) throws -> (condition: String?, filter: JSONValue)? {
        guard let after = query.after else { return (nil, query.filter) }
        guard let last = after.value(at: path), isOrderable(last), case .string(let lastID)? = after["id"] else {
            return nil
        }
        let descending = query.sort.first?.descending ?? false
        let op = descending ? "<" : ">"
        let value = compiler.placeholder(last)
        let tie = compiler.placeholder(last)
        let lastIDValue = compiler.placeholder(.string(lastID))
        let missing = missingFollow && descending ? " OR \(column) IS NULL" : ""
        return (
            "(\(column) \(op) \(value) OR (\(column) = \(tie) AND id \(op) \(lastIDValue))\(missing))",
            ["$and": [query.filter, try Keyset.filter(sort: query.sort, after: after)]]
        )
    }

    static func isOrderable(_ value: JSONValue) -> Bool {
        switch value {
        case .int, .double, .string, .bool: true
        case .null, .array, .object: false
        }
    }

    /// Ids as a JSON array of strings, for `json_each`.
    private static func jsonArray(_ ids: [String]) -> String {
        JSONValue.array(ids.map(JSONValue.string)).jsonText
    }
}
