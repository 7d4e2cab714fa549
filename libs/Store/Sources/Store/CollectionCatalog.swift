import Foundation
import Platform

/// Reads the collection definitions a domain keeps in `db/<domain>/collections.json`, so the
/// indexes a service relies on are reviewed as data beside its code and applied at every start.
///
/// ```json
/// {"collections": [
///   {"name": "runs", "indexes": [{"fields": ["experimentId", "startTime"]}, {"fields": ["name"], "unique": true}],
///    "dynamicKeys": ["params", "metrics"], "scalarDynamicKeys": true, "plannerStatistics": true, "text": [{"field": "name", "weight": 10}],
///    "seed": [{"id": "…", "…": "…"}]}
/// ]}
/// ```
public struct CollectionCatalog: Sendable {
    public struct Entry: Sendable {
        public let spec: CollectionSpec
        /// Documents that must exist (inserted once, never overwritten).
        public let seed: [JSONValue]
    }

    public let domain: String
    public let entries: [Entry]

    /// Loads `<directory>/<domain>/collections.json`; a wrong or unknown member is an error
    /// naming its place (`collections[2].indexes[0].fields`).
    public static func load(domain: String, from directory: URL) throws -> CollectionCatalog {
        let file = directory.appendingPathComponent(domain).appendingPathComponent("collections.json")
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw StoreError(
                .invalidDocument, "cannot read \(file.path): \(error)", field: "\(domain)/collections.json")
        }
        let root = try JSONValue.parse(text)
        try Self.only(["collections"], in: root, at: "")
        guard let collections = root["collections"]?.arrayValue else {
            throw StoreError(.invalidDocument, "\(file.path) needs a collections array", field: "collections")
        }
        let entries = try collections.enumerated().map { index, value in try entry(value, at: "collections[\(index)]") }
        return CollectionCatalog(domain: domain, entries: entries)
    }

    /// Creates every collection and index, then inserts the seed documents that are missing.
    public func apply(to store: any DocumentStore) async throws {
        for entry in entries {
            try await store.prepare(entry.spec)
            for document in entry.seed {
                guard case .string(let id)? = document["id"] else { continue }
                if try await store.get(id, from: entry.spec.name) == nil {
                    try await store.insert(document, into: entry.spec.name)
                }
            }
        }
    }

    private static func entry(_ value: JSONValue, at place: String) throws -> Entry {
        try only(
            ["name", "indexes", "dynamicKeys", "scalarDynamicKeys", "plannerStatistics", "text", "seed"], in: value,
            at: place)
        guard let name = value["name"]?.stringValue else {
            throw StoreError(.invalidDocument, "a collection needs a name", field: "\(place).name")
        }
        let indexes = try (value["indexes"]?.arrayValue ?? []).enumerated().map { offset, index in
            let at = "\(place).indexes[\(offset)]"
            try only(["fields", "unique"], in: index, at: at)
            let fields = index["fields"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !fields.isEmpty, fields.count == index["fields"]?.arrayValue?.count else {
                throw StoreError(
                    .invalidDocument, "an index has a non-empty array of field paths", field: "\(at).fields")
            }
            for field in fields { _ = try FieldPath(field) }
            var unique = false
            if let flag = index["unique"] {
                guard case .bool(let value) = flag else {
                    throw StoreError(.invalidDocument, "unique is true or false", field: "\(at).unique")
                }
                unique = value
            }
            return CollectionSpec.Index(fields, unique: unique)
        }
        let dynamicKeys = value["dynamicKeys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard dynamicKeys.count == (value["dynamicKeys"]?.arrayValue?.count ?? 0) else {
            throw StoreError(.invalidDocument, "dynamicKeys is an array of field names", field: "\(place).dynamicKeys")
        }
        let seed = value["seed"]?.arrayValue ?? []
        for (offset, document) in seed.enumerated() where document["id"]?.stringValue == nil {
            throw StoreError(
                .invalidDocument, "a seed document needs a string id", field: "\(place).seed[\(offset)].id")
        }
        var scalar = false
        if let given = value["scalarDynamicKeys"] {
            guard case .bool(let flag) = given else {
                throw StoreError(
                    .invalidDocument, "scalarDynamicKeys is true or false", field: "\(place).scalarDynamicKeys")
            }
            scalar = flag
        }
        var statistics = true
        if let given = value["plannerStatistics"] {
            guard case .bool(let flag) = given else {
                throw StoreError(
                    .invalidDocument, "plannerStatistics is true or false", field: "\(place).plannerStatistics")
            }
            statistics = flag
        }
        let text = try (value["text"]?.arrayValue ?? []).enumerated().map { offset, field in
            let at = "\(place).text[\(offset)]"
            try only(["field", "weight"], in: field, at: at)
            guard let path = field["field"]?.stringValue else {
                throw StoreError(.invalidDocument, "a text field names its field", field: "\(at).field")
            }
            _ = try FieldPath(path)
            let weight = field["weight"]?.numberValue ?? 1
            guard weight > 0, weight <= 1000 else {
                throw StoreError(.invalidDocument, "a weight is above 0 and at most 1000", field: "\(at).weight")
            }
            return TextField(path, weight: weight)
        }
        return Entry(
            spec: CollectionSpec(
                name, indexes: indexes, dynamicKeys: dynamicKeys, scalarDynamicKeys: scalar,
                plannerStatistics: statistics, textFields: text),
            seed: seed)
    }

    private static func only(_ allowed: Set<String>, in value: JSONValue, at place: String) throws {
        guard let members = value.objectValue else {
            throw StoreError(.invalidDocument, "expected an object", field: place.isEmpty ? "collections.json" : place)
        }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            let prefix = place.isEmpty ? "" : place + "."
            throw StoreError(
                .invalidDocument, "unknown member \(unknown); allowed: \(allowed.sorted().joined(separator: ", "))",
                field: prefix + unknown)
        }
    }
}
