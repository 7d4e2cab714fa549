import Foundation
import Platform
import Store

/// One MLflow run search as the store answers it, with what MLflow means beyond our search:
///
/// - LIKE patterns the store cannot evaluate (`MLflowRunFilter.Pattern`) are checked on the runs
///   it finds, reading on until the page is full.
/// - Runs lacking the first `order_by` field (a metric, param or tag) come last in both
///   directions, as in MLflow: `order_by=["metrics.loss ASC"], max_results=1` is the best run,
///   never one without a loss. Our store sorts a missing field lowest, so an ascending search
///   reads the runs holding the field first, then the others (the "missing phase", which the
///   page token remembers). A NaN metric is stored as null (`MetricValue`), so its run goes
///   with those lacking the metric, after every value (MLflow puts NaN between the values and
///   the missing).
struct MLflowRunSearch {
    /// What a `next_page_token` holds: our search's token, marked when it continues in the missing phase.
    struct PageToken {
        static let missingPrefix = "missing."
        /// Nil: the missing phase from its start.
        let after: JSONValue?
        let missingPhase: Bool

        init(_ text: String) throws {
            missingPhase = text.hasPrefix(Self.missingPrefix)
            let rest = missingPhase ? String(text.dropFirst(Self.missingPrefix.count)) : text
            do {
                after = missingPhase && rest.isEmpty ? nil : try RunSearch.decodeToken(rest)
            } catch {
                throw APIError.invalidField("page_token", "page_token is the next_page_token of a previous page")
            }
        }
    }

    /// At most this many runs are read for one page when LIKE patterns are checked here: a page
    /// may then come back short, with a token to read on (MLflow's client follows tokens).
    static let maxScanned = 100_000

    let criteria: RunSearch.Criteria
    let patterns: [MLflowRunFilter.Pattern]
    let inMissingPhase: Bool

    func run(store: any DocumentStore) async throws -> (runs: [Run], nextPageToken: String?) {
        guard let first = criteria.sort.first, !first.descending, Self.isDynamic(first.path) else {
            return try await page(criteria, store: store)
        }
        var runs: [Run] = []
        if !inMissingPhase {
            let holding = narrowed(
                Self.holding(first.path), sort: criteria.sort, after: criteria.after, limit: criteria.limit)
            let (found, next) = try await page(holding, store: store)
            if let next { return (found, next) }
            runs = found
            // Full with the last holding run: the next page starts the missing phase.
            if runs.count == criteria.limit { return (runs, PageToken.missingPrefix) }
        }
        // Every run here lacks the first field or holds null there, so it is left out of the
        // order (keyset paging past a missing value is where backends disagree).
        let rest = Array(criteria.sort.dropFirst())
        let missing = narrowed(
            ["$not": Self.holding(first.path)], sort: rest.isEmpty ? [.ascending("id")] : rest,
            after: inMissingPhase ? criteria.after : nil, limit: criteria.limit - runs.count)
        let (lacking, next) = try await page(missing, store: store)
        return (runs + lacking, next.map { PageToken.missingPrefix + $0 })
    }

    /// The runs holding a value of `path`: for a metric, a number, so a NaN, stored as null, is
    /// missing. Asked as a range rather than `$ne: null`: SQLite's key/value index answers a range.
    private static func holding(_ path: String) -> JSONValue {
        path.hasPrefix("metrics.") ? [path: ["$gte": .double(-.greatestFiniteMagnitude)]] : [path: ["$exists": true]]
    }

    /// Metrics, params and tags may be missing from a run; attributes never are.
    private static func isDynamic(_ path: String) -> Bool {
        ["metrics.", "params.", "tags."].contains { path.hasPrefix($0) }
    }

    private func narrowed(
        _ condition: JSONValue, sort: [SortKey], after: JSONValue?, limit: Int
    ) -> RunSearch.Criteria {
        RunSearch.Criteria(filter: ["$and": [criteria.filter, condition]], sort: sort, limit: limit, after: after)
    }

    private func page(
        _ criteria: RunSearch.Criteria, store: any DocumentStore
    ) async throws -> (runs: [Run], nextPageToken: String?) {
        if patterns.isEmpty { return try await RunSearch(store: store).search(criteria) }
        return try await matching(criteria, store: store)
    }

    /// The search with `patterns` checked on each run the store finds, reading on until the page
    /// is full. The token is the last run read, so the next page starts after it.
    private func matching(
        _ criteria: RunSearch.Criteria, store: any DocumentStore
    ) async throws -> (runs: [Run], nextPageToken: String?) {
        var runs: [Run] = []
        var after = criteria.after
        var lastRead: JSONValue?
        var scanned = 0
        var exhausted = false
        let readSize = max(criteria.limit, 1000)
        reading: while runs.count < criteria.limit, scanned < Self.maxScanned {
            let documents = try await store.find(
                Run.collection, Query(filter: criteria.filter, sort: criteria.sort, limit: readSize, after: after))
            for document in documents {
                lastRead = document
                scanned += 1
                let run = try Run(document: document)
                if patterns.allSatisfy({ $0.matches(run) }) {
                    runs.append(run)
                    if runs.count == criteria.limit { break reading }
                }
            }
            if documents.count < readSize {
                exhausted = true
                break
            }
            after = documents.last
        }
        let next = exhausted ? nil : lastRead.map { RunSearch.encodeToken(last: $0, sort: criteria.sort) }
        return (runs, next)
    }
}
