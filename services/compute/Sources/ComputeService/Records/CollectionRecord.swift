import Platform
import Store

/// A record compute keeps in a collection of its own, one document per id: what the
/// repositories (`JobDirectory`, `NodeDirectory`, `TemplateDirectory`) take and return.
protocol CollectionRecord: StoredRecord {
    static var collection: String { get }
    var id: String { get }
}

extension CollectionRecord {
    /// Writes this record over the stored one of the same id: every field it has is set (the
    /// store never sets `id`); fields only the store keeps (a scheduler's flag) stay. The write
    /// happens only where the stored document also matches `conditions` (the state the caller
    /// read, say). `storeOnly` sets fields the record does not carry (bookkeeping no client
    /// sees, or a null where the record has no field). `document`: this record's, when the
    /// caller encoded it already (for an event, say).
    func overwrite(
        where conditions: [String: JSONValue] = [:], storeOnly: [String: JSONValue] = [:], document: JSONValue? = nil
    ) throws -> WriteOperation {
        guard case .object(var fields) = try document ?? self.document() else { throw APIError.internal }
        fields.removeValue(forKey: "id")
        fields.merge(storeOnly) { $1 }
        var filter = conditions
        filter["id"] = .string(id)
        return .update(Self.collection, filter: .object(filter), update: ["$set": .object(fields)], many: false)
    }
}

extension DocumentStore {
    func get<Record: CollectionRecord>(_ type: Record.Type, _ id: String) async throws -> Record? {
        try await get(id, from: Record.collection).map(Record.init(document:))
    }

    func find<Record: CollectionRecord>(_ type: Record.Type, _ query: Query) async throws -> [Record] {
        try await find(Record.collection, query).map(Record.init(document:))
    }
}
