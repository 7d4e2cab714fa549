import Mongo
import Platform
import Store

/// Full-text search on MongoDB: the collection's text index (`$text`, `textScore` relevance,
/// MongoDB's stemming) and facets by aggregation (`$facet` of `$unwind` + `$group`).
extension MongoDocumentStore {
    /// The reserved field the relevance travels in through a pipeline.
    static let scoreField = "_mlexScore"

    func prepareText(_ collection: CollectionSpec) async throws {
        guard !collection.textFields.isEmpty else { return }
        textCollections.withLock { _ = $0.insert(collection.name) }
        let fields = try collection.textFields.map { (path: try FieldPath($0.path).dotted, weight: $0.weight) }
        try await mapped { try await self.client.createTextIndex(collection.name, fields: fields) }
    }

    public func search(_ collection: String, _ search: TextSearch) async throws -> [ScoredDocument] {
        try requireTextIndex(collection)
        guard search.limit >= 0, search.offset >= 0 else {
            throw StoreError(.invalidFilter, "limit and offset are not negative", field: "limit")
        }
        guard let match = try Self.textMatch(search.text, filter: search.filter) else { return [] }
        guard search.limit > 0 else { return [] }
        let pipeline: [JSONValue] = [
            ["$match": match],
            ["$addFields": [Self.scoreField: ["$meta": "textScore"]]],
            ["$sort": MongoClient.ordered([(Self.scoreField, .int(-1)), ("_id", .int(1))])],
            ["$skip": .int(Int64(search.offset))],
            ["$limit": .int(Int64(search.limit))],
        ]
        let found = try await mapped { try await self.client.aggregate(collection, pipeline: pipeline) }
        return found.map { document in
            var loaded = Self.loaded(document)
            let score = document[Self.scoreField]?.numberValue ?? 0
            if case .object(var members) = loaded {
                members[Self.scoreField] = nil
                loaded = .object(members)
            }
            return ScoredDocument(document: loaded, score: score)
        }
    }

    public func facets(
        _ collection: String, text: String?, filter: JSONValue, fields: [String], limit: Int
    ) async throws -> [String: [FacetCount]] {
        try CollectionName.check(collection)
        let match: JSONValue
        if let text {
            try requireTextIndex(collection)
            guard let matched = try Self.textMatch(text, filter: filter) else {
                return Dictionary(uniqueKeysWithValues: fields.map { ($0, []) })
            }
            match = matched
        } else {
            match = try Self.mongoFilter(filter)
        }
        // Facet names cannot hold dots or start with $: number them.
        var branches: [String: JSONValue] = [:]
        for (index, field) in fields.enumerated() {
            let path = "$" + (try FieldPath(field).dotted)
            branches["f\(index)"] = [
                ["$unwind": .string(path)],
                [
                    "$match": [
                        String(path.dropFirst()): ["$nin": [.null]],
                        String(path.dropFirst()) + ".0": ["$exists": false],
                    ]
                ],
                ["$group": ["_id": .string(path), "count": ["$sum": 1]]],
                ["$sort": MongoClient.ordered([("count", .int(-1)), ("_id", .int(1))])],
                ["$limit": .int(Int64(limit))],
            ]
        }
        let answer = try await mapped {
            try await self.client.aggregate(collection, pipeline: [["$match": match], ["$facet": .object(branches)]])
        }.first
        var facets: [String: [FacetCount]] = [:]
        for (index, field) in fields.enumerated() {
            facets[field] = (answer?["f\(index)"]?.arrayValue ?? []).compactMap { group in
                guard let value = group["_id"], value != .null, value.objectValue == nil else { return nil }
                return FacetCount(value: value, count: Int(group["count"]?.intValue ?? 0))
            }
        }
        return facets
    }

    /// As SQLite does: searching a collection that declared no text fields is an error (a
    /// server without the index may just answer nothing).
    private func requireTextIndex(_ collection: String) throws {
        try CollectionName.check(collection)
        guard textCollections.withLock({ $0.contains(collection) }) else {
            throw StoreError(
                .invalidField, "the collection \(collection) declares no text fields to search", field: "text")
        }
    }

    /// `$text` for the words of `text` (any of them) with the filter; nil when it has no words.
    private static func textMatch(_ text: String, filter: JSONValue) throws -> JSONValue? {
        let words = TextSearch.words(text)
        guard !words.isEmpty else { return nil }
        let text: JSONValue = ["$text": ["$search": .string(words.joined(separator: " "))]]
        let filter = try mongoFilter(filter)
        return filter == [:] ? text : ["$and": [text, filter]]
    }
}
