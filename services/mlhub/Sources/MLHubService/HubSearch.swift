import Foundation
import Platform
import Store

/// Search over model versions: full-text relevance (the store's BM25 or textScore) blended with
/// popularity, recency and stage into one documented order (docs/mlhub.md), facets over every
/// match, and offset pages over the best `window` candidates; leaderboards by a metric.
struct HubSearch {
    let store: any DocumentStore

    /// How many candidates are ranked per query; pages go this deep.
    static let window = 1000
    static let facetFields = ["task", "framework", "tags", "stage", "owner"]

    enum Order: String, CaseIterable {
        case best, recent, popular
    }

    struct Request {
        var text: String?
        var filter: JSONValue
        var order: Order
        var limit: Int
        var offset: Int
        var facets: Bool
    }

    func run(_ request: Request) async throws -> JSONValue {
        let words = TextSearch.words(request.text ?? "")
        // The facets are counted while the candidates are ranked (the store answers both at once).
        async let counted =
            request.facets
            ? store.facets(
                "model_versions", text: words.isEmpty ? nil : request.text, filter: request.filter,
                fields: Self.facetFields, limit: 20)
            : [:]
        let candidates: [ScoredDocument]
        if words.isEmpty {
            candidates = try await store.find(
                "model_versions", Query(filter: request.filter, sort: [.descending("createdAt")], limit: Self.window)
            )
            .map { ScoredDocument(document: $0, score: 0) }
        } else {
            candidates = try await store.search(
                "model_versions", TextSearch(request.text ?? "", filter: request.filter, limit: Self.window))
        }
        let ranked = Self.rank(candidates, order: request.order, textual: !words.isEmpty, now: Date())
        let page = ranked.dropFirst(request.offset).prefix(request.limit)
        var answer: [String: JSONValue] = [
            "items": .array(
                page.map { item in
                    // The stored document is the version as the API shows it: no decoding per hit.
                    var view = item.document
                    view["score"] = .double((item.score * 1e4).rounded() / 1e4)
                    if !words.isEmpty { view["relevance"] = .double(item.relevance) }
                    return view
                })
        ]
        if request.offset + request.limit < ranked.count {
            answer["nextPageToken"] = .string(String(request.offset + request.limit))
        }
        let facets = try await counted
        if request.facets {
            answer["facets"] = .object(
                Dictionary(
                    uniqueKeysWithValues: Self.facetFields.map { field in
                        (
                            field == "tags" ? "tag" : field,
                            JSONValue.array(
                                (facets[field] ?? []).map { ["value": $0.value, "count": .int(Int64($0.count))] })
                        )
                    }))
            // Every version has exactly one stage: the stage facet's counts add up to the matches.
            answer["total"] = .int(Int64((facets["stage"] ?? []).reduce(0) { $0 + $1.count }))
        }
        return .object(answer)
    }

    /// The best `limit` versions matching `filters` by `metric` (ties: the earlier first), and
    /// how many matching versions lack it.
    func leaderboard(metric: String, filters: [JSONValue], descending: Bool, limit: Int) async throws -> Leaderboard {
        let path = "metrics.\(metric)"
        let ranked = try await store.find(
            "model_versions",
            Query(
                filter: ["$and": .array(filters + [[path: ["$exists": true]]])],
                sort: [descending ? .descending(path) : .ascending(path), .ascending("createdAt"), .ascending("id")],
                limit: limit
            ))
        let missing = try await store.count(
            "model_versions", filter: ["$and": .array(filters + [[path: ["$exists": false]]])])
        let versions = try ranked.map { try $0.decoded(as: ModelVersion.self) }
        return Leaderboard(items: LeaderboardEntry.ranking(versions, by: metric), missingMetric: missing)
    }

    struct Ranked {
        let document: JSONValue
        let score: Double
        let relevance: Double
    }

    /// The default order, `best`: 0.6·R + 0.25·P + 0.15·T + 0.1 for production, where R is the
    /// text relevance relative to the best match (1 without text), P = ln(1 + deploys) relative
    /// to the most deployed candidate, T = e^(−age in days / 90). `recent` orders by creation,
    /// `popular` by deploys. Ties: newer first, then id.
    static func rank(_ candidates: [ScoredDocument], order: Order, textual: Bool, now: Date) -> [Ranked] {
        let best = candidates.map(\.score).max() ?? 0
        let mostDeployed = candidates.compactMap { $0.document["deployCount"]?.intValue }.max() ?? 0
        let ranked = candidates.map { candidate -> (Ranked, String, String) in
            let document = candidate.document
            let created = document["createdAt"]?.stringValue ?? ""
            let relevance = textual ? (best > 0 ? candidate.score / best : 1) : 1
            let deploys = Double(document["deployCount"]?.intValue ?? 0)
            let popularity = mostDeployed > 0 ? log1p(deploys) / log1p(Double(mostDeployed)) : 0
            let age = max(0, now.timeIntervalSince(Timestamp.parse(created) ?? now) / 86400)
            let score: Double =
                switch order {
                case .best:
                    0.6 * relevance + 0.25 * popularity + 0.15 * exp(-age / 90)
                        + (document["stage"] == "production" ? 0.1 : 0)
                case .recent: -age
                case .popular: deploys
                }
            return (
                Ranked(document: document, score: score, relevance: (relevance * 1e4).rounded() / 1e4), created,
                document["id"]?.stringValue ?? ""
            )
        }
        return ranked.sorted { left, right in
            if left.0.score != right.0.score { return left.0.score > right.0.score }
            if left.1 != right.1 { return left.1 > right.1 }
            return left.2 < right.2
        }.map(\.0)
    }
}
