import Platform

/// A version on a leaderboard (`GET /v1/leaderboards`): the version as the API shows it, with
/// its rank (ties share one: 1, 2, 2, 4) and its value of the metric beside its own fields.
struct LeaderboardEntry: Sendable {
    let version: ModelVersion
    let rank: Int64
    let value: JSONValue

    /// Ranks `versions`, already in leaderboard order, by their value of `metric`.
    static func ranking(_ versions: [ModelVersion], by metric: String) -> [LeaderboardEntry] {
        var entries: [LeaderboardEntry] = []
        for (index, version) in versions.enumerated() {
            let value = version.metrics[metric] ?? .null
            let rank = entries.last.map { $0.value == value ? $0.rank : Int64(index + 1) } ?? 1
            entries.append(LeaderboardEntry(version: version, rank: rank, value: value))
        }
        return entries
    }
}

extension LeaderboardEntry: Encodable {
    /// One flat object: a version's keys, then `rank` and `value`.
    func encode(to encoder: any Encoder) throws {
        var view = try JSONValue(encoding: version)
        view["rank"] = .int(rank)
        view["value"] = value
        try view.encode(to: encoder)
    }
}

/// The leaderboard's answer: the ranked versions, and how many matched but lack the metric.
struct Leaderboard: Encodable, Sendable {
    let items: [LeaderboardEntry]
    let missingMetric: Int
}
