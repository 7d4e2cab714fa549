import Foundation
import Platform
import Store
import Testing

/// Pages ordered by a dynamic key, as the runs table asks for them ("metrics.acc > 0.3 and
/// params.g = 'g3' order by metrics.acc desc"). SQLite reads such pages in the key's order and
/// falls back to the filter when matches are rare; either way every page must be exactly the
/// one an in-memory sort gives, ties broken by id, through every page token.
@Suite("DocumentStore conformance: pages ordered by a dynamic key")
struct KeyOrderConformanceTests {
    static let spec = CollectionSpec("scored", dynamicKeys: ["params", "metrics"], scalarDynamicKeys: true)

    /// Enough on SQLite for the rare case to outgrow the walk's budget (2000 candidates); fewer
    /// on the MongoDB stand-in, which scans in Python for every page.
    static func count(on backend: StoreBackend) -> Int {
        backend.name == "sqlite" ? 3000 : 600
    }

    /// Accuracies repeat (ties), some runs have none, some hold a string instead of a number.
    static func document(_ number: Int) -> JSONValue {
        var metrics: [String: JSONValue] = [:]
        if number % 13 == 0 {
            metrics["acc"] = "high"
        } else if number % 11 != 0 {
            metrics["acc"] = .double(Double(number * 37 % 500) / 500)
        }
        // Numbers only, as a real metric: for pages with no condition on their key.
        if number % 5 != 0 { metrics["loss"] = .double(Double(number * 53 % 700) / 700) }
        return [
            "id": .string(String(format: "00000000-0000-7000-8000-%012d", number)),
            "name": .string("run-\(number)"),
            // Some runs lack g: a negated condition on it must still admit them, as MongoDB's does.
            "params": number % 17 == 0
                ? ["h": .int(Int64(number % 3))] : ["g": .string("g\(number % 7)"), "h": .int(Int64(number % 3))],
            "metrics": .object(metrics),
        ]
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let filter: JSONValue
        let descending: Bool
        let limit: Int
        let matches: @Sendable (JSONValue) -> Bool
        /// The metric the pages are sorted by.
        var key = "acc"
    }

    /// Where a document's acc sorts: missing < numbers < strings, as SQLite and MongoDB order them.
    static func rank(_ document: JSONValue, _ key: String) -> (Int, Double, String) {
        switch document["metrics"]?[key] {
        case .double(let value)?: (1, value, "")
        case .string(let text)?: (2, 0, text)
        default: (0, 0, "")
        }
    }

    static func accuracy(_ document: JSONValue) -> Double? {
        if case .double(let value)? = document["metrics"]?["acc"] { return value }
        return nil
    }

    static let cases: [Case] = [
        Case(
            testDescription: "acc > 0.3 and g = g3, descending: full pages in key order",
            filter: ["metrics.acc": ["$gt": 0.3], "params.g": "g3"], descending: true, limit: 50,
            matches: { (accuracy($0) ?? -1) > 0.3 && $0["params"]?["g"] == "g3" }),
        Case(
            testDescription: "acc >= 0 and h = 1, ascending",
            filter: ["metrics.acc": ["$gte": 0], "params.h": 1], descending: false, limit: 40,
            matches: { accuracy($0) != nil && $0["params"]?["h"] == .int(1) }),
        Case(
            testDescription: "acc > 0.99 and g = g1: a short walk that ends the answer",
            filter: ["metrics.acc": ["$gt": 0.99], "params.g": "g1"], descending: true, limit: 5,
            matches: { (accuracy($0) ?? -1) > 0.99 && $0["params"]?["g"] == "g1" }),
        Case(
            testDescription: "acc > 0 and one name: rarer than the walk's budget, answered from the filter",
            filter: ["$and": [["metrics.acc": ["$gt": 0]], ["name": "run-298"]]], descending: true, limit: 10,
            matches: { (accuracy($0) ?? -1) > 0 && $0["name"] == "run-298" }),
        Case(
            testDescription: "acc in a list, or-ed params, descending",
            filter: [
                "metrics.acc": ["$in": [0.5, 0.25, 0.75]], "$or": [["params.g": "g2"], ["params.h": 0]],
            ], descending: true, limit: 7,
            matches: {
                [0.5, 0.25, 0.75].contains(accuracy($0) ?? -1)
                    && ($0["params"]?["g"] == "g2" || $0["params"]?["h"] == .int(0))
            }),
        Case(
            testDescription: "acc > 0, g = g1, h = 2 and one name: rare, answered from the filter with acc probed",
            filter: [
                "metrics.acc": ["$gt": 0], "params.g": "g1", "params.h": 2, "name": ["$in": ["run-29", "run-8"]],
            ], descending: true, limit: 10,
            matches: {
                (accuracy($0) ?? -1) > 0 && $0["params"]?["g"] == "g1" && $0["params"]?["h"] == .int(2)
                    && ["run-29", "run-8"].contains($0["name"]?.stringValue ?? "")
            }),
        Case(
            testDescription: "g = g2 by loss descending, no condition on loss: key order, then runs without loss",
            filter: ["params.g": "g2"], descending: true, limit: 20,
            matches: { $0["params"]?["g"] == "g2" }, key: "loss"),
        Case(
            testDescription: "h = 1 by loss ascending, no condition on loss: answered from the filter",
            filter: ["params.h": 1], descending: false, limit: 50,
            matches: { $0["params"]?["h"] == .int(1) }, key: "loss"),
        Case(
            testDescription:
                "acc > 0.2, g not g3, h not in a list, name set: negated key conditions and a document one",
            filter: [
                "metrics.acc": ["$gt": 0.2], "params.g": ["$ne": "g3"], "params.h": ["$nin": [0, 2]],
                "name": ["$exists": true],
            ], descending: true, limit: 30,
            matches: {
                (accuracy($0) ?? -1) > 0.2 && $0["params"]?["g"] != "g3"
                    && $0["params"]?["h"] != .int(0) && $0["params"]?["h"] != .int(2) && $0["name"] != nil
            }),
    ]

    @Test(
        "every page equals the in-memory answer",
        arguments: StoreBackend.all, cases)
    func pagesMatch(backend: StoreBackend, check: Case) async throws {
        let store = try await backend.make()
        try await store.prepare(Self.spec)
        let count = Self.count(on: backend)
        try await insertNumbered(count, into: "scored", of: store, Self.document)
        let expected = (0..<count).map(Self.document).filter(check.matches).sorted { left, right in
            let (a, b) = (Self.rank(left, check.key), Self.rank(right, check.key))
            let (x, y) = (left["id"]?.stringValue ?? "", right["id"]?.stringValue ?? "")
            return check.descending ? (a.0, a.1, a.2, x) > (b.0, b.1, b.2, y) : (a.0, a.1, a.2, x) < (b.0, b.1, b.2, y)
        }.compactMap { $0["id"]?.stringValue }

        let path = "metrics.\(check.key)"
        let sort = [check.descending ? SortKey.descending(path) : .ascending(path)]
        let seen = try await idsThroughPages(
            store, "scored", filter: check.filter, sort: sort, limit: check.limit, expected: expected.count)
        #expect(seen == expected)
        #expect(!expected.isEmpty)
    }
}
