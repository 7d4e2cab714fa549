import Platform

/// The paging and ordering of MLflow's registry searches: `max_results`, `page_token` (the
/// offset of the next page, opaque to the client) and `order_by` (`name ASC`,
/// `last_updated_timestamp DESC`, …; ties broken by the keys MLflow breaks them with).
struct MLflowSearchPage: Sendable {
    enum SortValue: Comparable, Sendable {
        case number(Int64)
        case text(String)
    }

    let offset: Int
    let limit: Int
    /// (key, ascending), most significant first.
    let order: [(key: String, ascending: Bool)]

    init(_ input: MLflowInput, defaultLimit: Int, maxLimit: Int, keys: Set<String>, tieBreak: [(String, Bool)]) throws {
        let requested = try input.int("max_results") ?? Int64(defaultLimit)
        guard requested >= 1, requested <= Int64(maxLimit) else {
            throw APIError.invalidField("max_results", "max_results is 1 to \(maxLimit)")
        }
        limit = Int(requested)
        if let token = try input.string("page_token") {
            guard let start = Int(token), start >= 0 else {
                throw APIError.invalidField("page_token", "invalid page token")
            }
            offset = start
        } else {
            offset = 0
        }
        var order: [(key: String, ascending: Bool)] = []
        for clause in try input.strings("order_by") {
            let words = clause.split(separator: " ").map(String.init)
            let key = (words.first ?? "").lowercased().replacingOccurrences(of: "`", with: "")
            let direction = words.count > 1 ? words[1].uppercased() : "ASC"
            guard keys.contains(key), words.count <= 2, ["ASC", "DESC"].contains(direction) else {
                throw APIError.invalidField(
                    "order_by",
                    "order_by is one of \(keys.sorted().joined(separator: ", ")) with ASC or DESC (got \(clause))")
            }
            order.append((key, direction == "ASC"))
        }
        for (key, ascending) in tieBreak where !order.contains(where: { $0.key == key }) {
            order.append((key, ascending))
        }
        self.order = order
    }

    /// This page of `items` ordered by `value(item, key)`, and the token of the next page.
    func page<Item>(_ items: [Item], _ value: (Item, String) -> SortValue) -> (items: [Item], next: String?) {
        let sorted = items.sorted { left, right in
            for (key, ascending) in order {
                let (a, b) = (value(left, key), value(right, key))
                if a != b { return ascending ? a < b : a > b }
            }
            return false
        }
        guard offset < sorted.count else { return ([], nil) }
        let end = min(sorted.count, offset + limit)
        return (Array(sorted[offset..<end]), end < sorted.count ? String(end) : nil)
    }
}
