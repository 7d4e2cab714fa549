import Foundation
import MongoStore
import Platform
import PlatformTesting
import Store
import Testing

/// One entry per backend: the MongoDB backend joins this suite by adding a line here.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () async throws -> any DocumentStore
    var testDescription: String { name }

    static let all: [StoreBackend] = [
        StoreBackend(name: "sqlite") {
            try SQLiteDocumentStore(path: try temporaryDirectory().appendingPathComponent("store.sqlite").path)
        },
        StoreBackend(name: "mongodb (nx-27017)") { try MongoDocumentStore(url: try WireServers.mongoDatabaseURL()) },
        // What a standalone mongod gets: batches through the write-ahead journal.
        StoreBackend(name: "mongodb, journal instead of transactions") {
            try MongoDocumentStore(url: try WireServers.mongoDatabaseURL(), batchMode: .journal)
        },
    ]
}

let runs = CollectionSpec("runs", indexes: [.init(["name"], unique: true), .init(["status", "startedAt"])])

func run(_ number: Int, status: String, lr: Double, acc: Double?) -> JSONValue {
    var metrics: [String: JSONValue] = [:]
    if let acc { metrics["acc"] = .double(acc) }
    return [
        "id": .string(String(format: "00000000-0000-7000-8000-%012d", number)),
        "name": .string("run-\(number)"), "status": .string(status), "startedAt": .int(Int64(1000 + number)),
        "params": ["lr": .double(lr)], "metrics": .object(metrics), "tags": [],
    ]
}

/// Ten runs: odd ones finished, lr alternating, acc rising with the number (none on run 0).
func seeded(_ backend: StoreBackend) async throws -> any DocumentStore {
    let store = try await backend.make()
    try await store.prepare(runs)
    for number in 0..<10 {
        try await store.insert(
            run(
                number, status: number % 2 == 1 ? "finished" : "running", lr: number % 2 == 0 ? 0.01 : 0.1,
                acc: number == 0 ? nil : Double(number) / 10), into: "runs")
    }
    return store
}

func names(_ documents: [JSONValue]) -> [String] {
    documents.compactMap { $0["name"]?.stringValue }
}

@Suite("DocumentStore conformance")
struct DocumentStoreConformanceTests {
    @Test("insert, get, and a duplicate id or unique key is a typed error", arguments: StoreBackend.all)
    func insertAndGet(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        let stored = try await store.get("00000000-0000-7000-8000-000000000003", from: "runs")
        #expect(stored == run(3, status: "finished", lr: 0.1, acc: 0.3))
        #expect(try await store.get("00000000-0000-7000-8000-000000000099", from: "runs") == nil)
        let sameID = await #expect(throws: StoreError.self) {
            try await store.insert(run(3, status: "x", lr: 0, acc: nil), into: "runs")
        }
        #expect(sameID?.code == .duplicate)
        var sameName = run(42, status: "x", lr: 0, acc: nil)
        if case .object(var members) = sameName {
            members["name"] = "run-1"
            sameName = .object(members)
        }
        let unique = await #expect(throws: StoreError.self) { try await store.insert(sameName, into: "runs") }
        #expect(unique?.code == .duplicate)
        #expect(try await store.count("runs", filter: [:]) == 10)
    }

    @Test("filters: equality, ranges, $in, $ne, $exists, $and/$or/$not, dotted paths", arguments: StoreBackend.all)
    func filters(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        let cases: [(JSONValue, [String])] = [
            (["status": "finished"], ["run-1", "run-3", "run-5", "run-7", "run-9"]),
            (["params.lr": 0.01, "metrics.acc": ["$gt": 0.5]], ["run-6", "run-8"]),
            (["metrics.acc": ["$gte": 0.3, "$lt": 0.5]], ["run-3", "run-4"]),
            (["name": ["$in": ["run-2", "run-7", "nope"]]], ["run-2", "run-7"]),
            (["metrics.acc": ["$exists": false]], ["run-0"]),
            (["$or": [["name": "run-0"], ["metrics.acc": ["$gt": 0.85]]]], ["run-0", "run-9"]),
            (["$and": [["status": "running"], ["$not": ["params.lr": 0.01]]]], []),
            (["status": ["$ne": "running"], "startedAt": ["$lte": 1003]], ["run-1", "run-3"]),
            (["metrics.acc": nil], ["run-0"]),
        ]
        for (filter, expected) in cases {
            let found = try await store.find("runs", Query(filter: filter, sort: [.ascending("name")]))
            #expect(names(found) == expected, "\(filter)")
            #expect(try await store.count("runs", filter: filter) == expected.count)
        }
    }

    @Test(
        "dynamic keys: any params.<name> filter answers as an unindexed path does, through updates and deletes",
        arguments: StoreBackend.all)
    func dynamicKeys(backend: StoreBackend) async throws {
        let store = try await backend.make()
        try await store.prepare(CollectionSpec("indexed", dynamicKeys: ["params", "metrics"]))
        try await store.prepare(CollectionSpec("plain"))
        let trials: [JSONValue] = [
            [
                "id": "t0", "params": ["lr": 0.01, "optimizer": "adam", "layers": 3, "decay": true],
                "metrics": ["acc": 0.91],
            ],
            ["id": "t1", "params": ["lr": 0.1, "optimizer": "sgd", "layers": 5], "metrics": ["acc": 0.95]],
            [
                "id": "t2", "params": ["lr": 0.01, "optimizer": "sgd", "layers": "deep", "decay": false],
                "metrics": ["acc": 0.5],
            ],
            ["id": "t3", "params": ["lr": 0.01, "layers": ["a": 1], "schedule": [1, 2]], "metrics": ["acc": nil]],
            ["id": "t4", "params": "not an object", "metrics": ["loss": 0.2]],
            ["id": "t5"],
        ]
        for trial in trials {
            try await store.insert(trial, into: "indexed")
            try await store.insert(trial, into: "plain")
        }
        let cases: [(JSONValue, [String])] = [
            (["params.lr": 0.01, "metrics.acc": ["$gt": 0.9]], ["t0"]),
            (["params.optimizer": ["$in": ["sgd", "rmsprop"]]], ["t1", "t2"]),
            (["params.optimizer": ["$ne": "sgd"]], ["t0", "t3", "t4", "t5"]),
            (["params.optimizer": ["$nin": ["adam"]]], ["t1", "t2", "t3", "t4", "t5"]),
            (["params.layers": ["$gt": 2]], ["t0", "t1"]),
            (["params.layers": ["$lt": "z"]], ["t2"]),
            (["params.layers": ["$gte": 3, "$lte": 4]], ["t0"]),
            (["params.decay": true], ["t0"]),
            (["params.decay": ["$exists": true]], ["t0", "t2"]),
            (["metrics.acc": nil], ["t3", "t4", "t5"]),
            // A keyset page after a run lacking its sort key asks for this.
            (["metrics.acc": ["$ne": nil]], ["t0", "t1", "t2"]),
            (["$or": [["params.lr": 0.1], ["metrics.loss": ["$lt": 0.5]]]], ["t1", "t4"]),
            (["$not": ["params.lr": 0.01]], ["t1", "t4", "t5"]),
        ]
        for (filter, expected) in cases {
            for collection in ["indexed", "plain"] {
                let found = try await store.find(collection, Query(filter: filter, sort: [.ascending("id")]))
                #expect(found.compactMap { $0["id"]?.stringValue } == expected, "\(collection) \(filter)")
                #expect(try await store.count(collection, filter: filter) == expected.count, "\(collection) \(filter)")
            }
        }
        try await store.update(
            "indexed", filter: ["id": "t2"], update: ["$set": ["params.lr": 0.5], "$unset": ["params.optimizer": ""]],
            many: false)
        try await store.delete("indexed", filter: ["params.lr": 0.1])
        _ = try await store.findOneAndUpdate(
            "indexed", filter: ["id": "t5"], sort: [], update: ["$set": ["params.lr": 0.5]])
        let ids = { (filter: JSONValue) in
            try await store.find("indexed", Query(filter: filter, sort: [.ascending("id")])).compactMap {
                $0["id"]?.stringValue
            }
        }
        #expect(try await ids(["params.lr": 0.5]) == ["t2", "t5"])
        #expect(try await ids(["params.optimizer": "sgd"]) == [])
        #expect(try await ids(["params.lr": 0.1]) == [])
        // A root declared later indexes what is already stored.
        try await store.prepare(CollectionSpec("plain", dynamicKeys: ["params"]))
        #expect(
            try await store.find("plain", Query(filter: ["params.optimizer": "sgd"], sort: [.ascending("id")]))
                .compactMap { $0["id"]?.stringValue } == ["t1", "t2"])
    }

    @Test("sort on several fields, limit, and keyset pages that join up", arguments: StoreBackend.all)
    func sortAndPages(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        let ordered = try await store.find("runs", Query(sort: [.ascending("status"), .descending("startedAt")]))
        #expect(
            names(ordered) == [
                "run-9", "run-7", "run-5", "run-3", "run-1", "run-8", "run-6", "run-4", "run-2", "run-0",
            ])
        var pages: [String] = []
        var after: JSONValue?
        repeat {
            let page = try await store.find("runs", Query(sort: [.descending("metrics.acc")], limit: 3, after: after))
            pages += names(page)
            after = page.count == 3 ? page.last : nil
        } while after != nil
        #expect(pages == ["run-9", "run-8", "run-7", "run-6", "run-5", "run-4", "run-3", "run-2", "run-1", "run-0"])
        for sort in [
            [SortKey.ascending("metrics.acc")], [.ascending("status"), .ascending("startedAt")],
            [.descending("status"), .descending("params.lr")],
        ] {
            let whole = names(try await store.find("runs", Query(sort: sort)))
            var joined: [String] = []
            var cursor: JSONValue?
            repeat {
                let page = try await store.find("runs", Query(sort: sort, limit: 4, after: cursor))
                joined += names(page)
                cursor = page.count == 4 ? page.last : nil
            } while cursor != nil
            #expect(joined == whole, "\(sort)")
            #expect(Set(joined).count == 10)
        }
    }

    @Test("update one or many with $set, $unset, $inc, $push", arguments: StoreBackend.all)
    func updates(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        let changed = try await store.update(
            "runs", filter: ["status": "running"],
            update: ["$set": ["status": "killed", "end.reason": "user"], "$inc": ["restarts": 1]], many: true)
        #expect(changed == 5)
        #expect(try await store.count("runs", filter: ["status": "killed", "end.reason": "user", "restarts": 1]) == 5)
        #expect(
            try await store.update(
                "runs", filter: ["status": "finished"],
                update: ["$push": ["tags": "best"], "$unset": ["metrics.acc": true]], many: false) == 1)
        #expect(try await store.count("runs", filter: ["metrics.acc": ["$exists": false]]) == 2)
        let tagged = try await store.get("00000000-0000-7000-8000-000000000001", from: "runs")
        #expect(tagged?["tags"] == ["best"])
    }

    @Test("find-one-and-update claims each document once, even under contention", arguments: StoreBackend.all)
    func claiming(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        let claimed = try await withThrowingTaskGroup(of: String?.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let job = try await store.findOneAndUpdate(
                        "runs", filter: ["status": "running"], sort: [.ascending("startedAt")],
                        update: ["$set": ["status": "claimed", "worker": .int(Int64(worker))]])
                    return job?["name"]?.stringValue
                }
            }
            var names: [String] = []
            for try await name in group { if let name { names.append(name) } }
            return names
        }
        #expect(claimed.sorted() == ["run-0", "run-2", "run-4", "run-6", "run-8"])
        #expect(
            try await store.findOneAndUpdate(
                "runs", filter: ["status": "running"], sort: [], update: ["$set": ["status": "x"]]) == nil)
    }

    @Test("a batch applies every write or, when one fails, none", arguments: StoreBackend.all)
    func batch(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        try await store.prepare(CollectionSpec("outbox"))
        let event: JSONValue = [
            "id": "01900000-0000-7000-8000-000000000001", "type": "mlex.data.run.finished", "subject": "run-1",
        ]
        try await store.batch([
            .update("runs", filter: ["name": "run-1"], update: ["$set": ["status": "archived"]], many: false),
            .insert(event, into: "outbox"),
            .delete("runs", filter: ["name": "run-0"]),
        ])
        #expect(try await store.count("runs", filter: ["status": "archived"]) == 1)
        #expect(try await store.count("outbox", filter: [:]) == 1)
        #expect(try await store.count("runs", filter: [:]) == 9)
        let failing = await #expect(throws: StoreError.self) {
            try await store.batch([
                .update("runs", filter: ["name": "run-2"], update: ["$set": ["status": "archived"]], many: false),
                .insert(["id": "01900000-0000-7000-8000-000000000002"], into: "outbox"),
                .insert(event, into: "outbox"),  // duplicate id: the whole batch is refused
            ])
        }
        #expect(failing?.code == .duplicate)
        #expect(try await store.count("runs", filter: ["status": "archived"]) == 1)
        #expect(try await store.count("outbox", filter: [:]) == 1)

        // Replacing a document whole inside a batch: delete it, insert its new state.
        var replaced = event
        replaced["type"] = "mlex.data.run.trashed"
        try await store.batch([.delete("outbox", filter: ["id": event["id"]!]), .insert(replaced, into: "outbox")])
        #expect(try await store.get(event["id"]!.stringValue!, from: "outbox")?["type"] == "mlex.data.run.trashed")
        #expect(try await store.count("outbox", filter: [:]) == 1)
    }

    @Test("an update that must match fails its batch when the state it expects changed", arguments: StoreBackend.all)
    func updateOrConflict(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        try await store.prepare(CollectionSpec("outbox"))
        try await store.batch([
            .updateOrConflict(
                "runs", filter: ["name": "run-2", "status": "running"], update: ["$set": ["status": "done"]]),
            .insert(["id": "01900000-0000-7000-8000-000000000003"], into: "outbox"),
        ])
        #expect(try await store.count("runs", filter: ["name": "run-2", "status": "done"]) == 1)
        // The same expectation again: run-2 is no longer running, so nothing of the batch happens.
        let stale = await #expect(throws: StoreError.self) {
            try await store.batch([
                .insert(["id": "01900000-0000-7000-8000-000000000004"], into: "outbox"),
                .updateOrConflict(
                    "runs", filter: ["name": "run-2", "status": "running"], update: ["$set": ["status": "again"]]),
            ])
        }
        #expect(stale?.code == .conflict)
        #expect(try await store.count("outbox", filter: [:]) == 1)
        #expect(try await store.count("runs", filter: ["status": "again"]) == 0)
    }

    @Test("delete by filter", arguments: StoreBackend.all)
    func delete(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        #expect(try await store.delete("runs", filter: ["params.lr": 0.1]) == 5)
        #expect(try await store.count("runs", filter: [:]) == 5)
    }

    @Test("bad input is a typed error naming the field, never a crash or SQL", arguments: StoreBackend.all)
    func invalidInput(backend: StoreBackend) async throws {
        let store = try await seeded(backend)
        let badFilters: [(JSONValue, StoreError.Code)] = [
            (["name'); DROP TABLE c_runs; --": "x"], .invalidField),
            (["a..b": 1], .invalidField),
            (["$where": "1"], .invalidFilter),
            (["name": ["$regex": "x"]], .invalidFilter),
            (["name": ["$in": "run-1"]], .invalidFilter),
            (["$or": []], .invalidFilter),
            ("not an object", .invalidFilter),
        ]
        for (filter, code) in badFilters {
            let error = await #expect(throws: StoreError.self) { try await store.find("runs", Query(filter: filter)) }
            #expect(error?.code == code, "\(filter)")
        }
        let badUpdate = await #expect(throws: StoreError.self) {
            try await store.update("runs", filter: [:], update: ["$inc": ["name": 1]], many: true)
        }
        #expect(badUpdate?.code == .invalidUpdate, "\(String(describing: badUpdate))")
        #expect(try await store.count("runs", filter: ["name": "run-1"]) == 1, "a failed update changes nothing")
        let noID = await #expect(throws: StoreError.self) { try await store.insert(["name": "x"], into: "runs") }
        #expect(noID?.code == .invalidDocument)
        let badCollection = await #expect(throws: StoreError.self) { try await store.count("runs; --", filter: [:]) }
        #expect(badCollection?.code == .invalidField)
        try await store.checkReachable()
    }
}

@Suite("SQLite document store")
struct SQLiteDocumentStoreTests {
    @Test("a filter on declared index fields is answered from the index")
    func usesIndex() async throws {
        let store = try SQLiteDocumentStore(path: try temporaryDirectory().appendingPathComponent("s.sqlite").path)
        try await store.prepare(runs)
        let plan = try await store.explain("runs", Query(filter: ["status": "running", "startedAt": ["$gt": 5]]))
        #expect(plan.contains("USING INDEX c_runs__status__startedAt"), "\(plan)")
        let unindexed = try await store.explain("runs", Query(filter: ["params.lr": 0.1]))
        #expect(unindexed.contains("SCAN"), "\(unindexed)")
    }

    @Test("a filter on dynamic keys is answered from the key/value index, not a scan")
    func usesDynamicKeyIndex() async throws {
        let store = try SQLiteDocumentStore(path: try temporaryDirectory().appendingPathComponent("s.sqlite").path)
        try await store.prepare(CollectionSpec("runs", dynamicKeys: ["params", "metrics"]))
        let plan = try await store.explain("runs", Query(filter: ["params.lr": 0.01, "metrics.acc": ["$gt": 0.9]]))
        // The equality names the runs; the range beside it is probed for each of them.
        #expect(plan.contains("SEARCH k_runs USING PRIMARY KEY (key=? AND value=?)"), "\(plan)")
        #expect(plan.contains("USING COVERING INDEX k_runs__id (id=? AND key=? AND value>? AND value<?)"), "\(plan)")
        #expect(!plan.contains("SCAN c_runs"), "\(plan)")
        let ranged = try await store.explain("runs", Query(filter: ["metrics.acc": ["$gt": 0.9]]))
        #expect(ranged.contains("SEARCH k_runs USING PRIMARY KEY (key=? AND value>? AND value<?)"), "\(ranged)")
        #expect(!ranged.contains("SCAN c_runs"), "\(ranged)")
    }
}
