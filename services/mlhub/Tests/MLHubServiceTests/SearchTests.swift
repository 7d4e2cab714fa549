import Foundation
import Platform
import PlatformTesting
import Testing

/// A small corpus in a project of its own (searches name it with `projectId`, so other tests'
/// public models stay out).
func corpus(
    _ cluster: HubCluster, _ owner: (id: String, token: String, project: String)
) async throws -> [String: String] {
    let models: [(String, String, String, String)] = [
        ("foldnet", "protein-folding", "jax", "predicts protein folding from amino acid sequences"),
        ("esm-embedder", "embedding", "pytorch", "embeddings of protein sequences for downstream tasks"),
        ("fold-classifier", "classification", "pytorch", "classifies states of laundry folding robots"),
        ("resnet-18", "classification", "pytorch", "image classifier; a common backbone for detection heads"),
        ("yolo-v8", "detection", "pytorch", "real-time object detection"),
        ("whisper-small", "speech", "pytorch", "speech recognition transformer"),
        ("unet-med", "segmentation", "tensorflow", "medical image segmentation"),
        ("xgb-churn", "tabular", "xgboost", "customer churn prediction"),
    ]
    var ids: [String: String] = [:]
    for (name, task, framework, description) in models {
        let id = try await cluster.newModel(
            owner.project,
            [
                "name": .string(name), "task": .string(task), "framework": .string(framework),
                "description": .string(description),
            ], token: owner.token)
        try await cluster.newVersion(id, token: owner.token)
        ids[name] = id
    }
    return ids
}

@Suite("mlhub search and rank", .serialized)
struct SearchTests {
    @Test(
        "BM25 puts the expected model first; filters and facets are counted; pages are stable", .timeLimit(.minutes(2)))
    func relevanceFacetsPaging() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        _ = try await corpus(cluster, owner)
        let scope = "projectId=\(owner.project)"
        try await cluster.eventually("/v1/search?\(scope)&facets=false&limit=100", token: owner.token) {
            names($0).count == 8
        }

        let folding = try await cluster.hub("GET", "/v1/search?\(scope)&q=protein%20folding", token: owner.token).body
        #expect(names(folding).first == "foldnet", "\(names(folding))")
        #expect(Set(names(folding)) == ["foldnet", "esm-embedder", "fold-classifier"])
        #expect(
            names(try await cluster.hub("GET", "/v1/search?\(scope)&q=detection", token: owner.token).body).first
                == "yolo-v8")
        #expect(
            names(
                try await cluster.hub("GET", "/v1/search?\(scope)&q=detection&task=classification", token: owner.token)
                    .body) == ["resnet-18"])

        let facets = try await cluster.hub("GET", "/v1/search?\(scope)", token: owner.token).body
        #expect(facets["total"] == 8)
        #expect(facets["facets"]?["task"]?.arrayValue?.first == ["value": "classification", "count": 2])
        #expect(facets["facets"]?["framework"]?.arrayValue?.first == ["value": "pytorch", "count": 5])
        #expect(facets["facets"]?["stage"] == [["value": "none", "count": 8]])
        #expect(facets["facets"]?["owner"] == [["value": .string(owner.id), "count": 8]])
        let matched = try await cluster.hub("GET", "/v1/search?\(scope)&q=protein", token: owner.token).body
        #expect(
            matched["total"] == 2
                && matched["facets"]?["framework"] == [
                    ["value": "jax", "count": 1], ["value": "pytorch", "count": 1],
                ])

        var seen: [String] = []
        var token: String? = nil
        repeat {
            let page = try await cluster.hub(
                "GET",
                "/v1/search?\(scope)&order=recent&limit=3&facets=false" + (token.map { "&pageToken=\($0)" } ?? ""),
                token: owner.token
            ).body
            seen += ids(page)
            token = page["nextPageToken"]?.stringValue
        } while token != nil
        #expect(seen.count == 8 && Set(seen).count == 8)
        let again = try await cluster.hub(
            "GET", "/v1/search?\(scope)&order=recent&limit=3&facets=false&pageToken=3", token: owner.token
        ).body
        #expect(ids(again) == Array(seen[3..<6]))

        for (query, field) in [
            ("order=loudest", "order"), ("limit=0", "limit"), ("pageToken=x", "pageToken"), ("stage=gold", "stage"),
        ] {
            let answer = try await cluster.hub("GET", "/v1/search?\(query)", token: owner.token)
            #expect(
                answer.status == 400 && answer.body["error"]?["field"] == .string(field), "\(query) → \(answer.body)")
        }
    }

    @Test(
        "leaderboards rank by a metric: ties share a rank, the earlier first; missing metrics are counted, not ranked",
        .timeLimit(.minutes(2)))
    func leaderboards() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        let task = "board-\(ID.make().suffix(8))"
        var numbers: [String: String] = [:]
        for (name, accuracy) in [("first", 0.95), ("second", 0.95), ("third", 0.9), ("none", nil)]
            as [(String, Double?)]
        {
            let model = try await cluster.newModel(
                owner.project, ["name": .string(name), "task": .string(task)], token: owner.token)
            try await cluster.newVersion(
                model, accuracy.map { ["metrics": ["acc": .double($0), "loss": .double(1 - $0)]] } ?? [:],
                token: owner.token)
            numbers[name] = model
        }
        try await cluster.eventually("/v1/leaderboards?metric=acc&task=\(task)", token: owner.token) {
            $0["items"]?.arrayValue?.count == 3
        }
        let board = try await cluster.hub("GET", "/v1/leaderboards?metric=acc&task=\(task)", token: owner.token).body
        #expect(names(board) == ["first", "second", "third"])
        #expect(board["items"]?.arrayValue?.compactMap { $0["rank"]?.intValue } == [1, 1, 3])
        #expect(board["missingMetric"] == 1)
        let losses = try await cluster.hub(
            "GET", "/v1/leaderboards?metric=loss&task=\(task)&order=asc", token: owner.token
        ).body
        #expect(
            names(losses) == ["first", "second", "third"]
                && losses["items"]?.arrayValue?.compactMap { $0["rank"]?.intValue } == [1, 1, 3])
        #expect(
            try await cluster.hub("GET", "/v1/leaderboards?task=\(task)", token: owner.token).body["error"]?["field"]
                == "metric")
    }
}
