import Platform
import SQLite

/// Pages ordered by a declared index's last field, its leading fields held by equalities
/// ("projectId = p and params.opt = 'adam' order by startTime desc", with an index on
/// (projectId, startTime)), read in that index's order (`page(of:walking:…)`).
///
/// Answered from the filter alone, SQLite reads every run of the project with that param and
/// sorts them: 3,000 of 30k runs, growing with the project. In index order it reads runs newest
/// first and stops at the page's last match. The index orders missing values as the filter's
/// answer does (SQL NULLs first ascending, last descending), so the walk misses none.
extension SQLiteDocumentStore {
    /// The page in index order, or nil when no declared index serves this query's order.
    func findInIndexOrder(_ collection: String, _ query: Query) async throws -> [JSONValue]? {
        guard let limit = query.limit, limit > 0, query.sort.count == 1 else { return nil }
        let sortKey = query.sort[0]
        let path = try FieldPath(sortKey.path)
        guard path.dotted != "id" else { return nil }
        var equalities: [FieldPath: JSONValue] = [:]
        for part in Self.conjuncts(try Filter(parsing: query.filter)) {
            if case .compare(let comparedPath, .eq(let value)) = part, Self.isOrderable(value) {
                equalities[comparedPath] = value
            }
        }
        let declared = declaredIndexes.withLock { $0[collection] } ?? []
        guard
            let index = declared.first(where: { fields in
                fields.last == path && fields.dropLast().allSatisfy { equalities[$0] != nil }
            })
        else { return nil }

        var candidates = SQLFilterCompiler()
        var conditions = index.dropLast().map {
            "\(SQLFilterCompiler.extract($0)) = \(candidates.placeholder(equalities[$0]!))"
        }
        let column = SQLFilterCompiler.extract(path)
        // The index holds documents without the field too (NULL): descending, they follow every value.
        guard
            let (resume, filter) = try Self.resumption(
                of: query, at: path, column: column, missingFollow: true, binding: &candidates)
        else { return nil }
        if let resume { conditions.append(resume) }
        let direction = sortKey.descending ? "DESC" : "ASC"
        let walk =
            "SELECT id FROM \(try Self.table(collection)) WHERE \(conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")) "
            + "ORDER BY \(column) \(direction), id \(direction)"
        return try await page(
            of: collection, walking: walk, bindings: candidates.bindings, filter: filter, limit: limit)
    }
}
