import Mongo
import Platform
import Store

/// How `MongoDocumentStore.batch` stays all-or-nothing on a server without multi-document
/// transactions (a standalone mongod), so a change and its outbox events still land together.
///
/// The batch is first turned into its effects — for every document it touches, the document
/// before and after (updates are applied in memory with the store's own `UpdateApplier`, so a
/// bad `$inc` fails before anything is written). One journal document holding every effect is
/// inserted: that single-document write is the commit point. The effects are then written as
/// whole-document replacements and deletes by id, which are idempotent, so a process killed
/// halfway rolls forward at the next start to exactly the committed state. If a unique index
/// refuses an effect, the ones already written are restored from their before-images and the
/// batch fails as a whole.
///
/// It assumes one writer per database (one process per service, docs/design.md §2): writes of this
/// store are serialized while journaling, and an update or delete in a batch sees the database
/// as it was before the batch (not documents inserted earlier in the same batch).
struct BatchJournal: Sendable {
    static let collection = "store_journal"

    struct Effect {
        let collection: String
        let id: String
        let before: JSONValue?
        let after: JSONValue?

        var json: JSONValue {
            ["collection": .string(collection), "id": .string(id), "before": before ?? .null, "after": after ?? .null]
        }

        init(collection: String, id: String, before: JSONValue?, after: JSONValue?) {
            (self.collection, self.id, self.before, self.after) = (collection, id, before, after)
        }

        init?(json: JSONValue) {
            guard let collection = json["collection"]?.stringValue, let id = json["id"]?.stringValue else { return nil }
            let before = json["before"]
            let after = json["after"]
            self.init(
                collection: collection, id: id, before: before == .null ? nil : before,
                after: after == .null ? nil : after)
        }
    }

    let client: MongoClient

    /// Computes the effects of `operations` (already checked and translated), commits them to
    /// the journal, and applies them.
    func run(_ operations: [WriteOperation]) async throws {
        var overlay: [String: JSONValue?] = [:]  // "<collection>/<id>" → latest state in this batch
        var effects: [Effect] = []
        func current(_ collection: String, _ document: JSONValue) -> JSONValue? {
            let key = "\(collection)/\(document["_id"]?.stringValue ?? "")"
            return overlay[key] ?? document
        }
        func record(_ collection: String, _ id: String, before: JSONValue?, after: JSONValue?) {
            // Touched earlier in this batch: its before-image is what that earlier effect left.
            let key = "\(collection)/\(id)"
            let prior: JSONValue? = overlay[key] ?? before
            effects.append(Effect(collection: collection, id: id, before: prior, after: after))
            overlay[key] = .some(after)
        }
        func changed(_ collection: String, _ matched: [JSONValue], by update: JSONValue) throws {
            for document in matched {
                guard let id = document["_id"]?.stringValue, let base = current(collection, document) else { continue }
                var after = try UpdateApplier.apply(update, to: base)
                after["_id"] = .string(id)
                record(collection, id, before: document, after: after)
            }
        }
        for operation in operations {
            switch operation {
            case .insert(let document, let collection):
                let stored = try MongoDocumentStore.stored(document)
                let id = stored["_id"]!.stringValue!
                // What this batch did to the id comes first: deleted earlier in it, it is free.
                let exists: Bool
                if let earlier = overlay["\(collection)/\(id)"] {
                    exists = earlier != nil
                } else {
                    exists = try await client.find(collection, filter: ["_id": .string(id)], limit: 1).first != nil
                }
                if exists { throw StoreError(.duplicate, "a document with id \(id) exists in \(collection)") }
                record(collection, id, before: nil, after: stored)
            case .update(let collection, let filter, let update, let many):
                let matched = try await client.find(
                    collection, filter: MongoDocumentStore.mongoFilter(filter), limit: many ? nil : 1)
                try changed(collection, matched, by: update)
            case .updateOrConflict(let collection, let filter, let update):
                let matched = try await client.find(
                    collection, filter: MongoDocumentStore.mongoFilter(filter), limit: 1)
                guard !matched.isEmpty else { throw StoreError.unmatched(collection) }
                try changed(collection, matched, by: update)
            case .delete(let collection, let filter):
                for document in try await client.find(collection, filter: MongoDocumentStore.mongoFilter(filter)) {
                    guard let id = document["_id"]?.stringValue else { continue }
                    record(collection, id, before: document, after: nil)
                }
            }
        }
        let journalID = ID.make()
        try await client.insert(
            ["_id": .string(journalID), "effects": .array(effects.map(\.json))], into: Self.collection)
        try await apply(effects, journalID: journalID)
    }

    /// Rolls forward every batch a killed process committed but did not finish.
    func recover() async throws {
        for journal in try await client.find(Self.collection, filter: [:], sort: [("_id", false)]) {
            guard let id = journal["_id"]?.stringValue else { continue }
            let effects = (journal["effects"]?.arrayValue ?? []).compactMap(Effect.init(json:))
            try? await apply(effects, journalID: id)
        }
    }

    private func apply(_ effects: [Effect], journalID: String) async throws {
        var written: [Effect] = []
        do {
            for effect in effects {
                try await write(effect.collection, effect.id, effect.after)
                written.append(effect)
            }
        } catch let error as MongoError where error.isDuplicateKey {
            // A unique index refused it: put back what was already written, newest first.
            for effect in written.reversed() { try await write(effect.collection, effect.id, effect.before) }
            _ = try await client.delete(Self.collection, filter: ["_id": .string(journalID)])
            throw error
        }
        _ = try await client.delete(Self.collection, filter: ["_id": .string(journalID)])
    }

    private func write(_ collection: String, _ id: String, _ state: JSONValue?) async throws {
        if let state {
            try await client.replace(collection, id: id, with: state)
        } else {
            _ = try await client.delete(collection, filter: ["_id": .string(id)])
        }
    }
}
