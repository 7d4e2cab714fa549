import Foundation
import Mongo
import Platform
import PlatformTesting
import Testing

/// The wrapper against a real server (nx-27017, or `MLEX_TEST_MONGODB_URL`).
@Suite("libmongoc wrapper")
struct MongoClientTests {
    @Test("documents keep the types we use through BSON and back")
    func typesSurvive() async throws {
        let client = try MongoClient(url: try WireServers.mongoDatabaseURL())
        let document: JSONValue = [
            "_id": "d1", "text": "naïve — 日本語 ✓", "big": .int(9_007_199_254_740_993), "small": 7, "negative": -12,
            "real": 0.1, "integral": 3.0, "yes": true, "no": false, "nothing": nil,
            "list": [1, "two", [3.5], ["four": 4]], "nested": ["deeper": ["deepest": [true, nil]]], "empty": [:],
            "none": [],
        ]
        try await client.insert(document, into: "types")
        let stored = try await client.find("types", filter: ["_id": "d1"])
        #expect(stored == [document])
        #expect(stored.first?["integral"] == .double(3.0), "an integral double stays a double")
    }

    @Test("a duplicate _id is error 11000; a bad connection string is refused at once")
    func errors() async throws {
        let client = try MongoClient(url: try WireServers.mongoDatabaseURL())
        try await client.insert(["_id": "x"], into: "dups")
        let duplicate = await #expect(throws: MongoError.self) { try await client.insert(["_id": "x"], into: "dups") }
        #expect(duplicate?.isDuplicateKey == true)
        #expect(throws: MongoError.self) { try MongoClient(url: "postgres://nope") }
    }

    @Test("many calls at once share the pool and all arrive")
    func concurrentCalls() async throws {
        let client = try MongoClient(url: try WireServers.mongoDatabaseURL(), threads: 4)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask {
                    try await client.insert(["_id": .string("c\(index)"), "n": .int(Int64(index))], into: "many")
                }
            }
            try await group.waitForAll()
        }
        #expect(try await client.count("many", filter: [:]) == 64)
        let sorted = try await client.find("many", filter: ["n": ["$gte": 60]], sort: [("n", true)], limit: 3)
        #expect(sorted.compactMap { $0["n"]?.intValue } == [63, 62, 61])
    }

    @Test("a transaction applies all of its writes or none")
    func transactions() async throws {
        let client = try MongoClient(url: try WireServers.mongoDatabaseURL())
        try await client.transaction([.insert(["_id": "a"], into: "tx"), .insert(["_id": "b"], into: "tx")])
        await #expect(throws: MongoError.self) {
            try await client.transaction([.insert(["_id": "c"], into: "tx"), .insert(["_id": "a"], into: "tx")])
        }
        #expect(try await client.count("tx", filter: [:]) == 2, "c was rolled back with the failing insert")
    }
}
