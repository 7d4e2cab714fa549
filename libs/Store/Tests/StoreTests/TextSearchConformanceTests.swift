import Foundation
import Platform
import PlatformTesting
import Store
import Testing

let models = CollectionSpec(
    "models", indexes: [.init(["task"])],
    textFields: [TextField("name", weight: 10), TextField("description"), TextField("tags", weight: 3)])

func model(
    _ number: Int, _ name: String, _ description: String, task: String, tags: [String], stage: String
) -> JSONValue {
    [
        "id": .string(String(format: "00000000-0000-7000-8000-%012d", number)), "name": .string(name),
        "description": .string(description),
        "task": .string(task), "tags": .array(tags.map(JSONValue.string)), "stage": .string(stage),
    ]
}

/// Four models; the segmentation one has the smallest id, so relevance, not id, must put the
/// classifier (a name match) first for "image".
func seededModels(_ backend: StoreBackend) async throws -> any DocumentStore {
    let store = try await backend.make()
    try await store.prepare(models)
    try await store.batch([
        .insert(
            model(
                3, "ResNet image classifier", "classifies photos of cats", task: "classification",
                tags: ["vision", "cnn"], stage: "production"), into: "models"),
        .insert(
            model(2, "BERT text encoder", "a language model", task: "nlp", tags: ["text"], stage: "none"),
            into: "models"),
        .insert(
            model(
                1, "UNet segmentation", "segments medical images", task: "segmentation", tags: ["vision", "medical"],
                stage: "staging"), into: "models"),
        .insert(
            model(4, "tabular boosting", "gradient boosted trees", task: "classification", tags: [], stage: "none"),
            into: "models"),
    ])
    return store
}

func names(_ results: [ScoredDocument]) -> [String] {
    results.compactMap { $0.document["name"]?.stringValue }
}

func counts(_ facet: [FacetCount]?) -> [String] {
    (facet ?? []).map { "\($0.value.stringValue ?? $0.value.jsonText):\($0.count)" }
}

@Suite("DocumentStore conformance: text search and facets")
struct TextSearchConformanceTests {
    @Test("a word matches in any text field, any case; filters and paging apply", arguments: StoreBackend.all)
    func search(backend: StoreBackend) async throws {
        let store = try await seededModels(backend)
        #expect(
            Set(names(try await store.search("models", TextSearch("Vision")))) == [
                "ResNet image classifier", "UNet segmentation",
            ])
        #expect(names(try await store.search("models", TextSearch("cats"))) == ["ResNet image classifier"])
        #expect(
            names(try await store.search("models", TextSearch("vision", filter: ["task": "segmentation"]))) == [
                "UNet segmentation"
            ])
        #expect(try await store.search("models", TextSearch(" !? ")).isEmpty)
        #expect(try await store.search("models", TextSearch("nothing-like-this")).isEmpty)
        let first = try await store.search("models", TextSearch("vision", limit: 1))
        let second = try await store.search("models", TextSearch("vision", limit: 1, offset: 1))
        #expect(first.count == 1 && second.count == 1 && Set(names(first + second)).count == 2)
        let plain = await #expect(throws: StoreError.self) { try await store.search("runs", TextSearch("x")) }
        #expect(plain != nil)
    }

    /// nx-27017 differs from MongoDB here (docs/mongodb.md): it gives every match the same
    /// textScore, joins words with AND and does not stem, so these run on SQLite only;
    /// MongoDB's text index ORs words, stems them and weighs fields as FTS5 does.
    @Test(
        "any of several words, stemmed; relevance follows the field weights (BM25)",
        arguments: StoreBackend.all.filter { $0.name == "sqlite" })
    func relevance(backend: StoreBackend) async throws {
        let store = try await seededModels(backend)
        #expect(
            Set(names(try await store.search("models", TextSearch("images")))) == [
                "ResNet image classifier", "UNet segmentation",
            ])
        #expect(
            Set(names(try await store.search("models", TextSearch("cats, or trees?")))) == [
                "ResNet image classifier", "tabular boosting",
            ])
        #expect(names(try await store.search("models", TextSearch("transformers"))).isEmpty)
        let results = try await store.search("models", TextSearch("image"))
        #expect(names(results) == ["ResNet image classifier", "UNet segmentation"])
        #expect(results[0].score > results[1].score)
    }

    @Test("$all: arrays holding every value, scalars equal to the one value", arguments: StoreBackend.all)
    func containsAll(backend: StoreBackend) async throws {
        let store = try await seededModels(backend)
        func found(_ filter: JSONValue) async throws -> [String] {
            try await store.find("models", Query(filter: filter, sort: [.ascending("name")])).compactMap {
                $0["name"]?.stringValue
            }
        }
        #expect(try await found(["tags": ["$all": ["vision"]]]) == ["ResNet image classifier", "UNet segmentation"])
        #expect(try await found(["tags": ["$all": ["vision", "medical"]]]) == ["UNet segmentation"])
        #expect(try await found(["tags": ["$all": ["vision", "text"]]]).isEmpty)
        #expect(try await found(["task": ["$all": ["nlp"]]]) == ["BERT text encoder"])
        #expect(try await found(["$not": ["tags": ["$all": ["vision"]]]]) == ["BERT text encoder", "tabular boosting"])
        let empty = await #expect(throws: StoreError.self) {
            try await store.find("models", Query(filter: ["tags": ["$all": []]]))
        }
        #expect(empty?.code == .invalidFilter)
    }

    @Test("writes of every kind keep the index: update, delete, batch", arguments: StoreBackend.all)
    func indexFollowsWrites(backend: StoreBackend) async throws {
        let store = try await seededModels(backend)
        try await store.update(
            "models", filter: ["name": "BERT text encoder"], update: ["$set": ["name": "BERT image captioner"]],
            many: false)
        #expect(names(try await store.search("models", TextSearch("image"))).contains("BERT image captioner"))
        #expect(try await store.search("models", TextSearch("encoder")).isEmpty)
        try await store.delete("models", filter: ["task": "segmentation"])
        #expect(!names(try await store.search("models", TextSearch("images"))).contains("UNet segmentation"))
        try await store.batch([
            .insert(
                model(9, "ViT", "vision transformer", task: "classification", tags: [], stage: "none"), into: "models")
        ])
        #expect(names(try await store.search("models", TextSearch("transformer"))) == ["ViT"])
    }

    @Test(
        "facets count values and array elements, most common first, under text and filter", arguments: StoreBackend.all)
    func facets(backend: StoreBackend) async throws {
        let store = try await seededModels(backend)
        let all = try await store.facets(
            "models", text: nil, filter: [:], fields: ["task", "tags", "stage"], limit: 10)
        #expect(counts(all["task"]) == ["classification:2", "nlp:1", "segmentation:1"])
        #expect(counts(all["tags"]) == ["vision:2", "cnn:1", "medical:1", "text:1"])
        #expect(counts(all["stage"]) == ["none:2", "production:1", "staging:1"])
        let matched = try await store.facets("models", text: "vision", filter: [:], fields: ["task"], limit: 10)
        #expect(counts(matched["task"]) == ["classification:1", "segmentation:1"])
        let filtered = try await store.facets(
            "models", text: "vision", filter: ["stage": ["$ne": "production"]], fields: ["tags"], limit: 1)
        #expect(counts(filtered["tags"]) == ["medical:1"])
        #expect(
            counts(try await store.facets("models", text: "?!", filter: [:], fields: ["task"], limit: 10)["task"])
                .isEmpty)
    }
}
