import Foundation
import Mongo
import MongoStore
import Platform
import PlatformTesting
import Store
import Testing

/// The fallback for servers without transactions, on a real server.
@Suite("MongoDB batches through the journal")
struct BatchJournalTests {
    @Test("a unique index refusing a later write puts back the earlier ones")
    func rollsBack() async throws {
        let store = try MongoDocumentStore(url: try WireServers.mongoDatabaseURL(), batchMode: .journal)
        try await store.prepare(CollectionSpec("runs", indexes: [.init(["name"], unique: true)]))
        try await store.prepare(CollectionSpec("outbox"))
        try await store.insert(["id": "r1", "name": "first", "n": 1], into: "runs")
        try await store.insert(["id": "r2", "name": "second", "n": 1], into: "runs")
        let refused = await #expect(throws: StoreError.self) {
            try await store.batch([
                .update("runs", filter: ["id": "r1"], update: ["$inc": ["n": 5]], many: false),
                .insert(["id": "e1", "type": "run.changed"], into: "outbox"),
                .update("runs", filter: ["id": "r2"], update: ["$set": ["name": "first"]], many: false),
            ])
        }
        #expect(refused?.code == .duplicate)
        #expect(try await store.get("r1", from: "runs")?["n"] == 1, "the $inc was undone")
        #expect(try await store.count("outbox", filter: [:]) == 0, "and the event with it")
        #expect(try await store.get("r2", from: "runs")?["name"] == "second")
    }

    @Test("a batch committed to the journal by a process that died is finished at the next start")
    func rollsForward() async throws {
        let url = try WireServers.mongoDatabaseURL()
        let client = try MongoClient(url: url)
        // What a process killed right after the commit point leaves: the journal, nothing applied.
        try await client.insert(["_id": "r1", "id": "r1", "status": "running"], into: "runs")
        try await client.insert(
            [
                "_id": "01900000-0000-7000-8000-00000000000a",
                "effects": [
                    [
                        "collection": "runs", "id": "r1", "before": ["_id": "r1", "id": "r1", "status": "running"],
                        "after": ["_id": "r1", "id": "r1", "status": "finished"],
                    ],
                    [
                        "collection": "outbox", "id": "e1", "before": nil,
                        "after": ["_id": "e1", "id": "e1", "type": "run.finished"],
                    ],
                ],
            ], into: "store_journal")
        let store = try MongoDocumentStore(url: url, batchMode: .journal)
        try await store.prepare(CollectionSpec("runs"))
        #expect(try await store.get("r1", from: "runs")?["status"] == "finished")
        #expect(try await store.get("e1", from: "outbox")?["type"] == "run.finished")
        #expect(try await store.count("store_journal", filter: [:]) == 0)
    }

    /// The switch itself needs a server that refuses transactions (a standalone mongod);
    /// none is installable here, so only its other side is shown.
    @Test("a server that runs transactions keeps the store on transactions")
    func staysOnTransactions() async throws {
        let store = try MongoDocumentStore(url: try WireServers.mongoDatabaseURL())
        try await store.batch([.insert(["id": "x"], into: "things")])
        #expect(store.batchMode == .transactions)
        #expect(try await store.count("store_journal", filter: [:]) == 0)
    }
}
