import Bus
import Foundation
import Outbox
import Platform
import PlatformTesting
import Store
import Testing

/// A store and a bus in a fresh directory, with the platform collections applied from db/.
func platformBackends() async throws -> (SQLiteDocumentStore, SQLiteLogBus) {
    let directory = try temporaryDirectory()
    let store = try SQLiteDocumentStore(path: directory.appendingPathComponent("store.sqlite").path)
    try await CollectionCatalog.load(domain: "platform", from: repositoryRoot().appendingPathComponent("db")).apply(
        to: store)
    try await store.prepare(CollectionSpec("items"))
    return (store, try SQLiteLogBus(path: directory.appendingPathComponent("bus.sqlite").path))
}

func event(_ subject: String, type: String = "mlex.test.item.created") -> CloudEvent {
    CloudEvent(source: "/mlex/test", type: type, subject: subject, data: ["id": .string(subject)])
}

/// Everything on `topic` from the start, read by a fresh group.
func published(_ bus: some Bus, _ topic: String) async throws -> [CloudEvent] {
    let subscription = try await bus.subscribe(group: "reader-\(ID.make())", topic: topic)
    var events: [CloudEvent] = []
    while case let batch = try await subscription.next(max: 1000, wait: .milliseconds(50)), !batch.isEmpty {
        events += batch.map(\.event)
    }
    return events
}

@Suite("Outbox, relay and idempotent consumer")
struct OutboxTests {
    @Test("a change and its events are written together, and the relay publishes them in order per topic")
    func relayPublishesInOrder() async throws {
        let (store, bus) = try await platformBackends()
        var made: [CloudEvent] = []
        for index in 0..<30 {
            let created = event("item-\(index)")
            made.append(created)
            try await store.batch([
                .insert(["id": .string("item-\(index)")], into: "items"),
                Outbox.write(created, to: index % 3 == 0 ? "mlex.other" : "mlex.test"),
            ])
        }
        #expect(try await store.count(Outbox.collection, filter: [:]) == 30)
        let relay = OutboxRelay(store: store, bus: bus, logger: quietLogger(), batchSize: 7)
        while try await relay.relayOnce() > 0 {}
        #expect(try await store.count(Outbox.collection, filter: [:]) == 0)
        #expect(
            try await published(bus, "mlex.test").map(\.id)
                == made.enumerated().filter { $0.offset % 3 != 0 }.map(\.element.id))
        #expect(
            try await published(bus, "mlex.other").map(\.id)
                == made.enumerated().filter { $0.offset % 3 == 0 }.map(\.element.id))
        #expect(
            try await published(bus, "mlex.test").first?.json == made[1].json,
            "the event arrives as it was written (time to the millisecond)")
    }

    @Test("the relay as a running service picks up new outbox events and stops when cancelled", .timeLimit(.minutes(1)))
    func relayServiceRuns() async throws {
        let (store, bus) = try await platformBackends()
        let relay = OutboxRelay(store: store, bus: bus, logger: quietLogger(), pollInterval: .milliseconds(10))
        let running = Task { try await relay.run() }
        let written = event("later")
        try await store.batch([.insert(["id": "later"], into: "items"), Outbox.write(written, to: "mlex.test")])
        let subscription = try await bus.subscribe(group: "watcher", topic: "mlex.test")
        var received: [Delivery] = []
        while received.isEmpty { received = try await subscription.next(max: 10, wait: .seconds(1)) }
        #expect(received.map(\.event.id) == [written.id])
        running.cancel()
        try await running.value
        #expect(try await store.count(Outbox.collection, filter: [:]) == 0)
    }

    @Test("a failed batch leaves neither the change nor its event")
    func failedBatchLeavesNothing() async throws {
        let (store, _) = try await platformBackends()
        try await store.insert(["id": "taken"], into: "items")
        await #expect(throws: StoreError.self) {
            try await store.batch([
                Outbox.write(event("taken"), to: "mlex.test"), .insert(["id": "taken"], into: "items"),
            ])
        }
        #expect(try await store.count(Outbox.collection, filter: [:]) == 0)
    }

    @Test("a consumer applies each event once, however often the bus delivers it")
    func consumerIsIdempotent() async throws {
        let (store, bus) = try await platformBackends()
        try await store.insert(["id": "total", "count": 0], into: "items")
        let events = (0..<5).map { event("e\($0)") }
        try await bus.publish(events + events + [events[2]], to: "mlex.test")
        let consumer = EventConsumer(group: "g", topic: "mlex.test", bus: bus, store: store, logger: quietLogger()) {
            _ in
            [.update("items", filter: ["id": "total"], update: ["$inc": ["count": 1]], many: false)]
        }
        let subscription = try await bus.subscribe(group: "g", topic: "mlex.test")
        for delivery in try await subscription.next(max: 100, wait: .seconds(1)) {
            try await consumer.process(delivery)
        }
        #expect(try await store.get("total", from: "items")?["count"] == 5)
        #expect(try await store.count(Outbox.processedCollection, filter: ["group": "g"]) == 5)
        #expect(try await consumer.pruneProcessed(before: Date().addingTimeInterval(60)) == 5)
    }

    @Test("an event whose handler keeps failing is parked in dead_letters and the rest go on")
    func poisonEventIsParked() async throws {
        let (store, bus) = try await platformBackends()
        try await bus.publish([event("good-1"), event("bad"), event("good-2")], to: "mlex.test")
        let consumer = EventConsumer(
            group: "g", topic: "mlex.test", bus: bus, store: store, logger: quietLogger(), maxAttempts: 2
        ) { delivery in
            guard delivery.event.subject != "bad" else { throw StoreError(.invalidDocument, "cannot apply") }
            return [.insert(["id": .string(delivery.event.subject)], into: "items")]
        }
        let subscription = try await bus.subscribe(group: "g", topic: "mlex.test")
        for delivery in try await subscription.next(max: 100, wait: .seconds(1)) {
            try await consumer.process(delivery)
        }
        #expect(try await store.count("items", filter: [:]) == 2)
        let parked = try await store.find(Outbox.deadLetterCollection, Query())
        #expect(parked.count == 1)
        #expect(parked.first?["event"]?["subject"] == "bad")
        #expect(parked.first?["error"]?.stringValue?.contains("cannot apply") == true)
    }

    @Test("an outbox document no bus can carry is set aside, not retried forever")
    func brokenOutboxDocumentIsSetAside() async throws {
        let (store, bus) = try await platformBackends()
        try await store.insert(
            ["id": "00000000-0000-7000-8000-000000000000", "topic": "mlex.test", "event": ["id": "x"]],
            into: Outbox.collection)
        try await store.batch([Outbox.write(event("fine"), to: "mlex.test")])
        let relay = OutboxRelay(store: store, bus: bus, logger: quietLogger())
        #expect(try await relay.relayOnce() == 2)
        #expect(try await published(bus, "mlex.test").map(\.subject) == ["fine"])
        #expect(try await store.count(Outbox.deadLetterCollection, filter: ["source": "outbox"]) == 1)
    }
}

@Suite("Collection catalog (db/<domain>/collections.json)")
struct CollectionCatalogTests {
    @Test("every domain under db/ loads")
    func everyDomainLoads() throws {
        let db = repositoryRoot().appendingPathComponent("db")
        let domains = try FileManager.default.contentsOfDirectory(atPath: db.path).filter {
            FileManager.default.fileExists(
                atPath: db.appendingPathComponent($0).appendingPathComponent("collections.json").path)
        }
        #expect(domains.contains("platform"))
        for domain in domains {
            #expect(!(try CollectionCatalog.load(domain: domain, from: db).entries.isEmpty), "\(domain)")
        }
    }

    @Test("a malformed definition is an error naming its place")
    func malformedNamesPlace() throws {
        let directory = try temporaryDirectory()
        let cases: [(String, String)] = [
            (
                #"{"collections": [{"name": "a", "indexes": [{"fields": ["x"], "uniq": true}]}]}"#,
                "collections[0].indexes[0].uniq"
            ),
            (#"{"collections": [{"name": "a", "indexes": [{"fields": []}]}]}"#, "collections[0].indexes[0].fields"),
            (#"{"collections": [{"name": "a"}, {"indexes": []}]}"#, "collections[1].name"),
            (#"{"collections": [{"name": "a", "seed": [{"name": "no id"}]}]}"#, "collections[0].seed[0].id"),
            (#"{"tables": []}"#, "tables"),
        ]
        for (text, field) in cases {
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent("d"), withIntermediateDirectories: true)
            try text.write(
                to: directory.appendingPathComponent("d/collections.json"), atomically: true, encoding: .utf8)
            let error = #expect(throws: StoreError.self) { try CollectionCatalog.load(domain: "d", from: directory) }
            #expect(error?.field == field, "\(text)")
        }
    }

    @Test("apply creates indexes and inserts seed documents once, never overwriting them")
    func seedsOnce() async throws {
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("d"), withIntermediateDirectories: true)
        try
            #"{"collections": [{"name": "roles", "indexes": [{"fields": ["name"], "unique": true}], "dynamicKeys": ["labels"], "seed": [{"id": "admin", "name": "admin", "labels": {"builtin": true}}]}]}"#
            .write(to: directory.appendingPathComponent("d/collections.json"), atomically: true, encoding: .utf8)
        let store = try SQLiteDocumentStore(path: directory.appendingPathComponent("s.sqlite").path)
        let catalog = try CollectionCatalog.load(domain: "d", from: directory)
        try await catalog.apply(to: store)
        _ = try await store.update("roles", filter: ["id": "admin"], update: ["$set": ["edited": true]], many: false)
        try await catalog.apply(to: store)
        #expect(try await store.get("admin", from: "roles")?["edited"] == true)
        #expect(try await store.count("roles", filter: ["labels.builtin": true]) == 1)
        await #expect(throws: StoreError.self) {
            try await store.insert(["id": "other", "name": "admin"], into: "roles")
        }
    }
}
