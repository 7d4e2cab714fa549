import Bus
import Logging
import MongoStore
import Outbox
import Platform
import Store

/// What the crash child and the tests that check it agree on.
public enum CrashScenario {
    public static let topic = "mlex.crash"
    public static let itemsPerBatch = 50

    /// The store a child and its test share: a SQLite path, a `mongodb://…` URL (transactions),
    /// or `journal+mongodb://…` (the journal a standalone server gets).
    public static func openStore(_ location: String) throws -> any DocumentStore {
        if location.hasPrefix("journal+") {
            return try MongoDocumentStore(url: String(location.dropFirst("journal+".count)), batchMode: .journal)
        }
        if location.hasPrefix("mongodb://") { return try MongoDocumentStore(url: location) }
        return try SQLiteDocumentStore(path: location)
    }

    public static func prepare(_ store: any DocumentStore) async throws {
        for name in [
            "items", "effects", "totals", Outbox.collection, Outbox.processedCollection, Outbox.deadLetterCollection,
        ] {
            try await store.prepare(CollectionSpec(name))
        }
        if try await store.get("events", from: "totals") == nil {
            try? await store.insert(["id": "events", "count": 0], into: "totals")
        }
    }

    /// One batch: items and the events announcing them, all or nothing.
    public static func writes(batch: Int) -> [WriteOperation] {
        (0..<itemsPerBatch).flatMap { index -> [WriteOperation] in
            let id = "item-\(batch)-\(index)"
            let item: JSONValue = [
                "id": .string(id), "batch": .int(Int64(batch)), "payload": .string(String(repeating: "x", count: 512)),
            ]
            return [.insert(item, into: "items"), Outbox.write(event(subject: id), to: topic)]
        }
    }

    public static func event(subject: String) -> CloudEvent {
        CloudEvent(
            source: "/mlex/crash", type: "mlex.crash.item.created", subject: subject, data: ["id": .string(subject)])
    }

    /// Each event adds one effect document and 1 to a counter: a duplicate would show in both.
    public static func consumer(store: some DocumentStore, bus: some Bus, logger: Logger) -> EventConsumer {
        EventConsumer(group: "crash-test", topic: topic, bus: bus, store: store, logger: logger) { delivery in
            [
                .insert(
                    ["id": .string("effect-" + delivery.event.id), "subject": .string(delivery.event.subject)],
                    into: "effects"),
                .update("totals", filter: ["id": "events"], update: ["$inc": ["count": 1]], many: false),
            ]
        }
    }
}
