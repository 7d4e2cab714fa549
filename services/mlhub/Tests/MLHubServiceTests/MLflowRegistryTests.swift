import Foundation
import Platform
import PlatformTesting
import Testing

/// MLflow's model registry REST API on the hub, as MLflow's client calls it (GET fields as query
/// parameters, others as JSON bodies), behind `/mlflow/<project>` and bare (the default project).
@Suite("mlhub MLflow registry", .serialized)
struct MLflowRegistryTests {
    @Test(
        "registered models: create, conflicts, get, search by name and tags, rename, update, tags, delete",
        .timeLimit(.minutes(2)))
    func registeredModels() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        let api = MLflowAPI(cluster: cluster, prefix: "/mlflow/\(owner.project)", token: owner.token)

        let created = try await api.call(
            "POST", "registered-models/create",
            ["name": "churn", "description": "who leaves", "tags": [["key": "team", "value": "growth+1"]]])
        #expect(created.status == 200, "\(created.body)")
        let model = created.body["registered_model"] ?? .null
        #expect(model["name"] == "churn" && model["description"] == "who leaves")
        #expect(model["tags"] == [["key": "team", "value": "growth+1"]] && model["latest_versions"] == [])
        #expect((model["creation_timestamp"]?.intValue ?? 0) > 1_700_000_000_000)
        try await api.expectError(
            "POST", "registered-models/create", ["name": "churn"], 409, "RESOURCE_ALREADY_EXISTS")
        try await api.expectError("POST", "registered-models/create", [:], 400, "INVALID_PARAMETER_VALUE")
        try await api.expectError(
            "POST", "registered-models/create", ["name": "no spaces"], 400, "INVALID_PARAMETER_VALUE")
        _ = try await api.call("POST", "registered-models/create", ["name": "churn-v2"])
        _ = try await api.call("POST", "registered-models/create", ["name": "fraud"])

        #expect(
            try await api.call("GET", "registered-models/get", ["name": "churn"]).body["registered_model"]?["name"]
                == "churn")
        try await api.expectError("GET", "registered-models/get", ["name": "nope"], 404, "RESOURCE_DOES_NOT_EXIST")

        func search(_ query: JSONValue) async throws -> [String] {
            let answer = try await api.call("GET", "registered-models/search", query)
            #expect(answer.status == 200, "\(answer.body)")
            return (answer.body["registered_models"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        #expect(try await search([:]) == ["churn", "churn-v2", "fraud"])
        #expect(try await search(["filter": "name LIKE 'churn%'"]) == ["churn", "churn-v2"])
        #expect(try await search(["filter": "name = 'fraud'"]) == ["fraud"])
        #expect(try await search(["filter": "name ILIKE '%CHURN%' AND tags.team = 'growth+1'"]) == ["churn"])
        #expect(try await search(["order_by": "name DESC", "max_results": "2"]) == ["fraud", "churn-v2"])
        let first = try await api.call("GET", "registered-models/search", ["max_results": "2"])
        let token = try #require(first.body["next_page_token"]?.stringValue)
        #expect(try await search(["max_results": "2", "page_token": .string(token)]) == ["fraud"])
        try await api.expectError(
            "GET", "registered-models/search", ["filter": "name LIKE"], 400, "INVALID_PARAMETER_VALUE")
        try await api.expectError(
            "GET", "registered-models/search", ["filter": "owner = 'x'"], 400, "INVALID_PARAMETER_VALUE")

        let renamed = try await api.call("POST", "registered-models/rename", ["name": "fraud", "new_name": "fraud-2"])
        #expect(renamed.body["registered_model"]?["name"] == "fraud-2", "\(renamed.body)")
        try await api.expectError("GET", "registered-models/get", ["name": "fraud"], 404, "RESOURCE_DOES_NOT_EXIST")
        try await api.expectError(
            "POST", "registered-models/rename", ["name": "fraud-2", "new_name": "churn"], 409,
            "RESOURCE_ALREADY_EXISTS")
        let hubModels = try await cluster.hub("GET", "/v1/projects/\(owner.project)/models", token: owner.token)
        #expect(Set(names(hubModels.body)) == ["churn", "churn-v2", "fraud-2"])

        let updated = try await api.call("PATCH", "registered-models/update", ["name": "churn", "description": "new"])
        #expect(updated.body["registered_model"]?["description"] == "new")
        _ = try await api.call(
            "POST", "registered-models/set-tag", ["name": "churn", "key": "release.stage", "value": "beta"])
        _ = try await api.call("DELETE", "registered-models/delete-tag", ["name": "churn", "key": "team"])
        #expect(
            try await api.call("GET", "registered-models/get", ["name": "churn"]).body["registered_model"]?["tags"]
                == [["key": "release.stage", "value": "beta"]])

        #expect(try await api.call("DELETE", "registered-models/delete", ["name": "churn-v2"]).status == 200)
        try await api.expectError("GET", "registered-models/get", ["name": "churn-v2"], 404, "RESOURCE_DOES_NOT_EXIST")

        // Someone else's project is not there for a stranger; a viewer reads but does not write.
        let stranger = try await cluster.platform.users.signUp("mlflow-\(ID.make().suffix(10))@lab.example")
        let outsider = MLflowAPI(cluster: cluster, prefix: "/mlflow/\(owner.project)", token: stranger.token)
        try await outsider.expectError(
            "GET", "registered-models/get", ["name": "churn"], 404, "RESOURCE_DOES_NOT_EXIST")
        #expect(
            try await cluster.data(
                "PUT", "/v1/projects/\(owner.project)/members/user/\(stranger.id)", ["role": "viewer"],
                token: owner.token
            ).status == 201)
        try await eventually {
            try await outsider.call("GET", "registered-models/get", ["name": "churn"]).status == 200
        }
        try await outsider.expectError("POST", "registered-models/create", ["name": "mine"], 403, "PERMISSION_DENIED")
    }

    @Test(
        "versions from a run's files: READY, its files in the hub, stages with archive_existing_versions, latest versions, aliases, tags, search, delete",
        .timeLimit(.minutes(2)))
    func modelVersions() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        let api = MLflowAPI(cluster: cluster, prefix: "/mlflow/\(owner.project)", token: owner.token)
        let (experiment, run) = try await newRun(cluster, project: owner.project, token: owner.token)
        for path in ["model/MLmodel", "model/model.pkl", "model2/MLmodel", "notes.txt"] {
            #expect(
                try await cluster.data("PUT", "/v1/runs/\(run)/files/\(path)", "x", token: owner.token).status == 201)
        }
        _ = try await api.call("POST", "registered-models/create", ["name": "ranker"])

        let v1 = try await api.call(
            "POST", "model-versions/create",
            [
                "name": "ranker", "source": .string("runs:/\(run)/model"), "run_id": .string(run),
                "tags": [["key": "k", "value": "v"]], "description": "first",
            ])
        #expect(v1.status == 200, "\(v1.body)")
        let first = v1.body["model_version"] ?? .null
        #expect(first["version"] == "1" && first["status"] == "READY" && first["current_stage"] == "None")
        #expect(first["run_id"] == .string(run) && first["source"] == .string("runs:/\(run)/model"))
        #expect(first["tags"] == [["key": "k", "value": "v"]] && first["description"] == "first")
        let artifactSource = "mlflow-artifacts:/\(experiment)/\(run)/artifacts/model"
        let v2 = try await api.call(
            "POST", "model-versions/create", ["name": "ranker", "source": .string(artifactSource)])
        #expect(v2.body["model_version"]?["version"] == "2" && v2.body["model_version"]?["run_id"] == .string(run))
        _ = try await api.call("POST", "model-versions/create", ["name": "ranker", "source": .string(artifactSource)])

        // The hub shows the version with its run and only the model's files.
        let modelID = try #require(
            try await cluster.hub("GET", "/v1/projects/\(owner.project)/models", token: owner.token).body["items"]?
                .arrayValue?.first?["id"]?.stringValue)
        let hubVersion = try await cluster.hub("GET", "/v1/models/\(modelID)/versions/1", token: owner.token).body
        #expect(hubVersion["source"]?["runId"] == .string(run) && hubVersion["files"]?["prefix"] == "model/")
        let files = try await cluster.hub("GET", "/v1/models/\(modelID)/versions/1/files", token: owner.token).body
        #expect(
            Set((files["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }) == ["MLmodel", "model.pkl"])
        #expect(
            try await api.call("GET", "model-versions/get-download-uri", ["name": "ranker", "version": "1"]).body[
                "artifact_uri"] == .string(artifactSource))

        // Sources that are not this project's run files are refused.
        let elsewhere = try await cluster.newOwner()
        let (_, foreignRun) = try await newRun(cluster, project: elsewhere.project, token: elsewhere.token)
        for source in ["runs:/\(foreignRun)/model", "s3://bucket/model", "runs:/not-a-run/model"] {
            try await api.expectError(
                "POST", "model-versions/create", ["name": "ranker", "source": .string(source)], 400,
                "INVALID_PARAMETER_VALUE")
        }
        try await api.expectError(
            "POST", "model-versions/create",
            ["name": "ranker", "source": .string("runs:/\(run)/model"), "run_id": .string(foreignRun)], 400,
            "INVALID_PARAMETER_VALUE")
        try await api.expectError(
            "POST", "model-versions/create", ["name": "nobody", "source": .string("runs:/\(run)/model")], 404,
            "RESOURCE_DOES_NOT_EXIST")

        // Stages: Production with archive_existing_versions archives the previous one.
        func transition(_ version: String, _ stage: String, archive: Bool = false) async throws -> JSONValue {
            let answer = try await api.call(
                "POST", "model-versions/transition-stage",
                [
                    "name": "ranker", "version": .string(version), "stage": .string(stage),
                    "archive_existing_versions": .bool(archive),
                ])
            #expect(answer.status == 200, "\(answer.body)")
            return answer.body["model_version"] ?? .null
        }
        #expect(try await transition("1", "Production")["current_stage"] == "Production")
        #expect(try await transition("2", "staging")["current_stage"] == "Staging")
        #expect(try await transition("2", "Production", archive: true)["current_stage"] == "Production")
        func stage(_ version: String) async throws -> JSONValue? {
            try await api.call("GET", "model-versions/get", ["name": "ranker", "version": .string(version)]).body[
                "model_version"]?["current_stage"]
        }
        #expect(try await stage("1") == "Archived")
        try await api.expectError(
            "POST", "model-versions/transition-stage", ["name": "ranker", "version": "1", "stage": "Gold"], 400,
            "INVALID_PARAMETER_VALUE")

        func latest(_ method: String, _ fields: JSONValue) async throws -> [String] {
            let answer = try await api.call(method, "registered-models/get-latest-versions", fields)
            #expect(answer.status == 200, "\(answer.body)")
            return (answer.body["model_versions"]?.arrayValue ?? []).map {
                "\($0["version"]?.stringValue ?? "")@\($0["current_stage"]?.stringValue ?? "")"
            }
        }
        #expect(try await latest("POST", ["name": "ranker", "stages": ["Production"]]) == ["2@Production"])
        #expect(try await latest("POST", ["name": "ranker"]) == ["3@None", "2@Production", "1@Archived"])
        #expect(
            try await latest("GET", ["name": "ranker", "stages": ["archived", "None"]]) == ["1@Archived", "3@None"])

        // Aliases move between versions; the registered model lists them.
        _ = try await api.call(
            "POST", "registered-models/alias", ["name": "ranker", "alias": "champion", "version": "1"])
        _ = try await api.call(
            "POST", "registered-models/alias", ["name": "ranker", "alias": "champion", "version": "3"])
        let byAlias = try await api.call("GET", "registered-models/alias", ["name": "ranker", "alias": "champion"])
        #expect(
            byAlias.body["model_version"]?["version"] == "3"
                && byAlias.body["model_version"]?["aliases"] == ["champion"])
        #expect(
            try await api.call("GET", "registered-models/get", ["name": "ranker"]).body["registered_model"]?["aliases"]
                == [["alias": "champion", "version": "3"]])
        try await api.expectError(
            "POST", "registered-models/alias", ["name": "ranker", "alias": "best", "version": "9"], 404,
            "RESOURCE_DOES_NOT_EXIST")
        _ = try await api.call("DELETE", "registered-models/alias", ["name": "ranker", "alias": "champion"])
        try await api.expectError(
            "GET", "registered-models/alias", ["name": "ranker", "alias": "champion"], 404, "RESOURCE_DOES_NOT_EXIST")

        let audit = try await cluster.hub("GET", "/v1/models/\(modelID)/audit", token: owner.token).body
        let actions = (audit["items"]?.arrayValue ?? []).compactMap { $0["action"]?.stringValue }
        #expect(
            actions.filter { $0.hasPrefix("stage") || $0.hasPrefix("alias") } == [
                "stage.changed", "stage.changed", "stage.changed", "stage.changed", "alias.set", "alias.moved",
                "alias.removed",
            ], "\(actions)")

        // Tags, description, search and delete of versions.
        _ = try await api.call(
            "POST", "model-versions/set-tag", ["name": "ranker", "version": "2", "key": "a", "value": "b"])
        _ = try await api.call("DELETE", "model-versions/delete-tag", ["name": "ranker", "version": "1", "key": "k"])
        let described = try await api.call(
            "PATCH", "model-versions/update", ["name": "ranker", "version": "2", "description": "better"])
        #expect(described.body["model_version"]?["description"] == "better")
        #expect(described.body["model_version"]?["tags"] == [["key": "a", "value": "b"]])
        func searchVersions(_ filter: String) async throws -> [String] {
            let answer = try await api.call("GET", "model-versions/search", ["filter": .string(filter)])
            #expect(answer.status == 200, "\(answer.body)")
            return (answer.body["model_versions"]?.arrayValue ?? []).compactMap { $0["version"]?.stringValue }.sorted()
        }
        #expect(try await searchVersions("name = 'ranker'") == ["1", "2", "3"])
        #expect(try await searchVersions("run_id = '\(run)' AND tags.a = 'b'") == ["2"])
        #expect(try await searchVersions("name='ranker' AND version_number >= 2") == ["2", "3"])
        #expect(
            try await api.call("DELETE", "model-versions/delete", ["name": "ranker", "version": "3"]).status == 200)
        try await api.expectError(
            "GET", "model-versions/get", ["name": "ranker", "version": "3"], 404, "RESOURCE_DOES_NOT_EXIST")
        try await api.expectError(
            "GET", "model-versions/get", ["name": "ranker", "version": "x"], 400, "INVALID_PARAMETER_VALUE")
        #expect(try await cluster.hub("GET", "/v1/models/\(modelID)/versions/3", token: owner.token).status == 404)
    }

    @Test(
        "a version of an MLflow 3 logged model (models:/<id>): its source run and the files data keeps for it",
        .timeLimit(.minutes(2)))
    func loggedModelVersion() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        let api = MLflowAPI(cluster: cluster, prefix: "/mlflow/\(owner.project)", token: owner.token)
        let (experiment, run) = try await newRun(cluster, project: owner.project, token: owner.token)
        let logged = try await cluster.data(
            "POST", "/mlflow/\(owner.project)/api/2.0/mlflow/logged-models",
            ["experiment_id": .string(experiment), "name": "model", "source_run_id": .string(run)], token: owner.token)
        let modelID = try #require(logged.body["model"]?["info"]?["model_id"]?.stringValue, "\(logged.body)")
        for path in ["models/\(modelID)/MLmodel", "models/\(modelID)/model.pkl", "notes.txt"] {
            #expect(
                try await cluster.data("PUT", "/v1/runs/\(run)/files/\(path)", "x", token: owner.token).status == 201)
        }
        _ = try await api.call("POST", "registered-models/create", ["name": "logged"])
        let created = try await api.call(
            "POST", "model-versions/create",
            ["name": "logged", "source": .string("models:/\(modelID)"), "model_id": .string(modelID)])
        let version = created.body["model_version"] ?? .null
        #expect(version["run_id"] == .string(run) && version["model_id"] == .string(modelID), "\(created.body)")
        #expect(version["source"] == .string("models:/\(modelID)"))
        #expect(
            try await api.call("GET", "model-versions/get-download-uri", ["name": "logged", "version": "1"]).body[
                "artifact_uri"] == .string("mlflow-artifacts:/\(experiment)/\(run)/artifacts/models/\(modelID)"))
        let hubModel = try #require(
            try await cluster.hub("GET", "/v1/projects/\(owner.project)/models", token: owner.token).body["items"]?
                .arrayValue?.first?["id"]?.stringValue)
        let files = try await cluster.hub("GET", "/v1/models/\(hubModel)/versions/1/files", token: owner.token).body
        #expect(
            Set((files["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }) == ["MLmodel", "model.pkl"])
        try await api.expectError(
            "POST", "model-versions/create", ["name": "logged", "source": "models:/m-0123456789abcdef"], 404,
            "RESOURCE_DOES_NOT_EXIST")
    }

    @Test(
        "without a project in the path, the caller's default project (the one data resolves)", .timeLimit(.minutes(2)))
    func defaultProject() async throws {
        let cluster = try HubCluster.shared()
        let user = try await cluster.platform.users.signUp("mlflow-default-\(ID.make().suffix(10))@lab.example")
        let api = MLflowAPI(cluster: cluster, prefix: "", token: user.token)
        #expect(try await api.call("POST", "registered-models/create", ["name": "home"]).status == 200)
        let resolved = try await cluster.data("POST", "/v1/mlflow/projects/resolve", [:], token: user.token)
        let project = try #require(resolved.body["projectId"]?.stringValue, "\(resolved.body)")
        #expect(
            names(try await cluster.hub("GET", "/v1/projects/\(project)/models", token: user.token).body) == ["home"])
        let byName = MLflowAPI(cluster: cluster, prefix: "/mlflow/Default", token: user.token)
        #expect(try await byName.call("GET", "registered-models/get", ["name": "home"]).status == 200)
        let missing = MLflowAPI(cluster: cluster, prefix: "/mlflow/nowhere", token: user.token)
        try await missing.expectError("GET", "registered-models/get", ["name": "home"], 404, "RESOURCE_DOES_NOT_EXIST")
    }

    /// A run in a new experiment of the project: (experiment id, run id).
    func newRun(_ cluster: HubCluster, project: String, token: String) async throws -> (String, String) {
        let experiment = try #require(
            try await cluster.data(
                "POST", "/v1/projects/\(project)/experiments", ["name": .string("e-\(ID.make().suffix(8))")],
                token: token
            ).body["id"]?.stringValue)
        let run = try #require(
            try await cluster.data("POST", "/v1/experiments/\(experiment)/runs", [:], token: token).body["id"]?
                .stringValue)
        return (experiment, run)
    }

    /// Polls `check` (memberships reach the hub as events); a hang guard, not a timing assertion.
    func eventually(_ check: () async throws -> Bool) async throws {
        for _ in 0..<300 {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the condition never held")
    }
}

/// MLflow's registry API on the hub, called as MLflow's client calls it.
struct MLflowAPI: Sendable {
    let cluster: HubCluster
    /// `/mlflow/<project>`, or "" for the bare paths.
    let prefix: String
    let token: String

    /// GET sends `fields` as query parameters (a list as repeated keys); other methods as JSON.
    func call(
        _ method: String, _ operation: String, _ fields: JSONValue = [:]
    ) async throws -> (
        status: Int, body: JSONValue
    ) {
        let path = "\(prefix)/api/2.0/mlflow/\(operation)"
        guard method == "GET" else { return try await cluster.hub(method, path, fields, token: token) }
        var items: [URLQueryItem] = []
        for (key, value) in (fields.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for single in value.arrayValue ?? [value] {
                items.append(URLQueryItem(name: key, value: single.stringValue ?? single.jsonText))
            }
        }
        // As Python's requests encodes a query: a space is +, a plus %2B.
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~ ")
        let query = items.map { item in
            [item.name, item.value ?? ""].map {
                ($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0).replacingOccurrences(
                    of: " ", with: "+")
            }.joined(separator: "=")
        }.joined(separator: "&")
        return try await cluster.hub("GET", items.isEmpty ? path : "\(path)?\(query)", token: token)
    }

    func expectError(
        _ method: String, _ operation: String, _ fields: JSONValue, _ status: Int, _ code: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let answer = try await call(method, operation, fields)
        #expect(
            answer.status == status && answer.body["error_code"] == .string(code) && answer.body["message"] != nil,
            "\(method) \(operation) \(fields) → \(answer.status) \(answer.body)", sourceLocation: sourceLocation)
    }
}
