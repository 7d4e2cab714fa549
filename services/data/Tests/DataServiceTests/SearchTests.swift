import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: run search")
struct SearchTests {
    /// Five runs whose params, metrics, tags and statuses tell the filters apart.
    static let runs: [(name: String, body: String, accuracy: Double)] = [
        ("a", #""params": {"optimizer": "adam", "lr": 0.01}, "tags": {"team": "vision"}"#, 0.95),
        ("b", #""params": {"optimizer": "sgd", "lr": 0.1}, "tags": {"team": "vision"}"#, 0.91),
        ("c", #""params": {"optimizer": "rmsprop", "lr": "0.01"}, "tags": {"team": "audio"}"#, 0.85),
        ("d", #""params": {"optimizer": "adam", "lr": 0.001}"#, 0.70),
        ("e", #""params": {"optimizer": "adagrad", "layers": 4}, "tags": {"team": "audio"}"#, 0.99),
    ]

    static let expectations: [(filter: String, names: Set<String>)] = [
        (
            #"metrics.accuracy > 0.9 and (params.optimizer = "adam" or params.optimizer in ("sgd", "rmsprop"))"#,
            ["a", "b"]
        ),
        ("params.optimizer = 'adam'", ["a", "d"]),
        ("params.optimizer != 'adam'", ["b", "c", "e"]),
        ("params.optimizer not in ('adam', 'sgd')", ["c", "e"]),
        ("params.lr = 0.01", ["a", "c"]),
        ("params.lr < 0.05", ["a", "d"]),
        ("metrics.accuracy >= 0.91 or tags.team = 'audio'", ["a", "b", "c", "e"]),
        ("not tags.team = 'vision' and metrics.accuracy > 0.8", ["c", "e"]),
        ("not (tags.team = 'vision' and metrics.accuracy > 0.8)", ["c", "d", "e"]),
        ("metrics.accuracy between 0.8 and 0.92", ["b", "c"]),
        ("tags.team = 'vision' or tags.team = 'audio' and metrics.accuracy > 0.9", ["a", "b", "e"]),
        ("(tags.team = 'vision' or tags.team = 'audio') and metrics.accuracy > 0.9", ["a", "b", "e"]),
        ("status = 'finished'", ["e"]),
        ("name in ('a', 'z')", ["a"]),
        ("params.layers >= 4", ["e"]),
        ("metrics.missing > 0", []),
        ("", ["a", "b", "c", "d", "e"]),
    ]

    @Test(
        "a table of filters picks exactly the expected runs; errors point at their column",
        arguments: StoreBackend.allCases)
    func filters(backend: StoreBackend) async throws {
        let owner = try await newUser()
        try await dataApp(store: try backend.url()).test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            for run in Self.runs {
                let id = try await client.newRun(
                    owner.token, experiment: experiment, #"{"name": "\#(run.name)", \#(run.body)}"#)
                _ = try await client.call(
                    .post, "/v1/runs/\(id)/metrics", token: owner.token,
                    json: #"{"points": [{"key": "accuracy", "value": \#(run.accuracy)}]}"#)
                if run.name == "e" {
                    _ = try await client.call(
                        .patch, "/v1/runs/\(id)", token: owner.token, json: #"{"status": "finished"}"#)
                }
            }
            for (filter, names) in Self.expectations {
                let answer = try await client.search(owner.token, project: project, filter: filter)
                #expect(answer.status == .ok, "\(filter): \(answer.body)")
                #expect(
                    Set(answer.body["items"]?.arrayValue?.map { $0["name"]?.text ?? "" } ?? []) == names, "\(filter)")
            }
            for (filter, position) in [
                ("metrics.accuracy >", 19), ("status = 'done'", 1), ("metrics.accuracy = 'high'", 1),
                ("(tags.team = 'x'", 17), ("params.a = 1 params.b = 2", 14),
            ] {
                let answer = try await client.search(owner.token, project: project, filter: filter)
                #expect(answer.status == .badRequest, "\(filter)")
                #expect(answer.body["error"]?["position"]?.intValue == Int64(position), "\(filter): \(answer.body)")
                #expect(answer.body["error"]?["field"] == "filter")
            }
        }
    }

    @Test("order by a metric, page by token, and only projects the caller may view")
    func orderAndPages() async throws {
        let (owner, outsider) = (try await newUser(), try await newUser())
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            for run in Self.runs {
                let id = try await client.newRun(owner.token, experiment: experiment, #"{"name": "\#(run.name)"}"#)
                _ = try await client.call(
                    .post, "/v1/runs/\(id)/metrics", token: owner.token,
                    json: #"{"points": [{"key": "accuracy", "value": \#(run.accuracy)}]}"#)
            }
            var names: [String] = []
            var token: String?
            repeat {
                let page = try await client.search(
                    owner.token, project: project, orderBy: #"["metrics.accuracy desc"]"#, limit: 2, pageToken: token)
                names += page.body["items"]?.arrayValue?.map { $0["name"]?.text ?? "" } ?? []
                token = page.body["nextPageToken"]?.stringValue
            } while token != nil
            #expect(names == ["e", "a", "b", "c", "d"])
            let mixed = try await client.search(
                owner.token, project: project, orderBy: #"["name asc", "startTime desc"]"#)
            #expect(mixed.body["error"]?["field"] == "orderBy")
            #expect(try await client.search(outsider.token, project: project).status == .notFound)
            let badToken = try await client.search(owner.token, project: project, pageToken: "garbage")
            #expect(badToken.body["error"]?["field"] == "pageToken")
        }
    }
}

extension TestClientProtocol {
    func search(
        _ token: String, project: String, filter: String? = nil, orderBy: String? = nil, limit: Int? = nil,
        pageToken: String? = nil
    ) async throws -> (status: HTTPResponse.Status, body: JSONValue) {
        var body: [String: JSONValue] = ["projectId": .string(project)]
        if let filter { body["filter"] = .string(filter) }
        if let orderBy { body["orderBy"] = try JSONValue.parse(orderBy) }
        if let limit { body["limit"] = .int(Int64(limit)) }
        if let pageToken { body["pageToken"] = .string(pageToken) }
        return try await call(.post, "/v1/runs/search", token: token, json: JSONValue.object(body).jsonText)
    }
}
