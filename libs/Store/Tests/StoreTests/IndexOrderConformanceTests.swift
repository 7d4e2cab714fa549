import Foundation
import Platform
import Store
import Testing

/// Pages ordered by a declared index's last field with its leading fields held by equalities,
/// as the runs table's default view asks ("projectId = p and params.g = 'g3' order by
/// startTime desc"). SQLite walks the index in the page's order; every page must be exactly the
/// one an in-memory sort gives (missing values first ascending, last descending; ties by id),
/// through every page token.
@Suite("DocumentStore conformance: pages ordered by a declared index")
struct IndexOrderConformanceTests {
    static let spec = CollectionSpec(
        "timed", indexes: [.init(["project", "time"])], dynamicKeys: ["params"])

    /// On SQLite, enough for one project to outgrow the walk's budget (2000 candidates); fewer
    /// on the MongoDB stand-in, which scans in Python for every page.
    static func count(on backend: StoreBackend) -> Int {
        backend.name == "sqlite" ? 4800 : 600
    }

    /// Two projects; times repeat (ties); some documents have no time.
    static func document(_ number: Int) -> JSONValue {
        var document: JSONValue = [
            "id": .string(String(format: "00000000-0000-7000-8000-%012d", number)),
            "project": .string(number % 2 == 0 ? "p0" : "p1"),
            "name": .string("run-\(number)"),
            "params": ["g": .string("g\(number % 7)")],
        ]
        if number % 19 != 0 { document["time"] = .string(String(format: "2026-12-07T%05d", number * 37 % 900)) }
        return document
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let filter: JSONValue
        let descending: Bool
        let limit: Int
        let matches: @Sendable (JSONValue) -> Bool
    }

    static let cases: [Case] = [
        Case(
            testDescription: "project p0 and g = g3, newest first",
            filter: ["project": "p0", "params.g": "g3"], descending: true, limit: 25,
            matches: { $0["project"] == "p0" && $0["params"]?["g"] == "g3" }),
        Case(
            testDescription: "project p1, oldest first (documents without a time come first)",
            filter: ["project": "p1"], descending: false, limit: 40,
            matches: { $0["project"] == "p1" }),
        Case(
            testDescription: "project p0 and one name: rarer than the walk's budget",
            filter: ["project": "p0", "name": "run-298"], descending: true, limit: 10,
            matches: { $0["project"] == "p0" && $0["name"] == "run-298" }),
        Case(
            testDescription: "project p1 and g not g2, newest first",
            filter: ["project": "p1", "params.g": ["$ne": "g2"]], descending: true, limit: 60,
            matches: { $0["project"] == "p1" && $0["params"]?["g"] != "g2" }),
    ]

    @Test("every page equals the in-memory answer", arguments: StoreBackend.all, cases)
    func pagesMatch(backend: StoreBackend, check: Case) async throws {
        let store = try await backend.make()
        try await store.prepare(Self.spec)
        let count = Self.count(on: backend)
        try await insertNumbered(count, into: "timed", of: store, Self.document)
        // A missing time sorts below every time.
        let expected = (0..<count).map(Self.document).filter(check.matches).sorted { left, right in
            let (a, b) = (left["time"]?.stringValue ?? "", right["time"]?.stringValue ?? "")
            let (x, y) = (left["id"]?.stringValue ?? "", right["id"]?.stringValue ?? "")
            return check.descending ? (a, x) > (b, y) : (a, x) < (b, y)
        }.compactMap { $0["id"]?.stringValue }

        let sort = [check.descending ? SortKey.descending("time") : .ascending("time")]
        let seen = try await idsThroughPages(
            store, "timed", filter: check.filter, sort: sort, limit: check.limit, expected: expected.count)
        #expect(seen == expected)
        #expect(!expected.isEmpty)
    }
}
