import DataService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: MLflow tracking API — projects and experiments")
struct MLflowTrackingExperimentTests {
    @Test("the default project is made on first use; a named project is resolved by name or id, 404 or 400 otherwise")
    func projects() async throws {
        let owner = try await newUser()
        let stranger = try await newUser()
        try await dataApp().test(.router) { client in
            let resolved = try await client.call(.post, "/v1/mlflow/projects/resolve", token: owner.token, json: "{}")
            #expect(resolved.status == .ok, "\(resolved.body)")
            let defaultID = resolved.body["projectId"]?.text ?? ""
            #expect(resolved.body["role"] == "owner")
            let again = try await client.call(.post, "/v1/mlflow/projects/resolve", token: owner.token, json: "{}")
            #expect(again.body["projectId"]?.text == defaultID, "one default project per caller")
            let project = try await client.call(.get, "/v1/projects/\(defaultID)", token: owner.token).body
            #expect(project["name"] == "Default")

            let (vision, _) = try await client.projectAndExperiment(owner.token, project: "vision")
            for reference in ["vision", vision] {
                let named = try await client.call(
                    .post, "/v1/mlflow/projects/resolve", token: owner.token, json: #"{"project": "\#(reference)"}"#)
                #expect(named.body["projectId"]?.text == vision)
            }
            let missing = try await client.call(
                .post, "/v1/mlflow/projects/resolve", token: owner.token, json: #"{"project": "nowhere"}"#)
            #expect(missing.status == .notFound)
            let outsider = try await client.call(
                .post, "/v1/mlflow/projects/resolve", token: stranger.token, json: #"{"project": "\#(vision)"}"#)
            #expect(outsider.status == .notFound)
            _ = try await client.call(.post, "/v1/projects", token: owner.token, json: #"{"name": "twin"}"#)
            _ = try await client.call(.post, "/v1/projects", token: owner.token, json: #"{"name": "twin"}"#)
            let ambiguous = try await client.mlflowGet(
                "experiments/get", owner.token, project: "twin", query: "experiment_id=0")
            #expect(ambiguous.status == .badRequest)
            #expect(ambiguous.body["error_code"] == "INVALID_PARAMETER_VALUE")

            // Experiment "0" is each project's Default experiment, with its real id.
            let bare = try await client.mlflowGet("experiments/get", owner.token, query: "experiment_id=0")
            #expect(bare.status == .ok, "\(bare.body)")
            let experiment = bare.body["experiment"] ?? .null
            #expect(experiment["name"] == "Default")
            let defaultExperiment = experiment["experiment_id"]?.text ?? ""
            #expect(experiment["artifact_location"]?.text == "mlflow-artifacts:/\(defaultExperiment)")
            #expect(experiment["lifecycle_stage"] == "active")
            #expect((experiment["creation_time"]?.intValue ?? 0) > 1_700_000_000_000)
            let ours = try await client.call(.get, "/v1/experiments/\(defaultExperiment)", token: owner.token).body
            #expect(ours["projectId"]?.text == defaultID)
            let byName = try await client.mlflowGet(
                "experiments/get-by-name", owner.token, query: "experiment_name=Default")
            #expect(byName.body["experiment"]?["experiment_id"]?.text == defaultExperiment)
            let inVision = try await client.mlflowGet(
                "experiments/get", owner.token, project: "vision", query: "experiment_id=0")
            let visionDefault = inVision.body["experiment"]?["experiment_id"]?.text ?? ""
            #expect(!visionDefault.isEmpty && visionDefault != defaultExperiment)
            #expect(
                try await client.call(.get, "/v1/experiments/\(visionDefault)", token: owner.token).body["projectId"]?
                    .text == vision)
        }
    }

    @Test("create, get, get-by-name, rename, delete to the trash, restore, and tags, with MLflow's error codes")
    func lifecycle() async throws {
        let owner = try await newUser()
        let viewer = try await newUser()
        try await dataApp().test(.router) { client in
            let created = try await client.mlflow(
                "experiments/create", owner.token, project: "lab-\(owner.id.suffix(6))",
                json: #"{"name": "cats"}"#)
            #expect(created.status == .notFound, "a named project must exist")
            let (project, _) = try await client.projectAndExperiment(owner.token, project: "lab")

            let made = try await client.mlflow(
                "experiments/create", owner.token, project: "lab",
                json: #"{"name": "cats", "tags": [{"key": "team", "value": "vision"}]}"#)
            #expect(made.status == .ok, "\(made.body)")
            let id = made.body["experiment_id"]?.text ?? ""
            let ours = try await client.call(.get, "/v1/experiments/\(id)", token: owner.token).body
            #expect(ours["projectId"]?.text == project)
            #expect(ours["name"] == "cats")

            let duplicate = try await client.mlflow(
                "experiments/create", owner.token, project: "lab", json: #"{"name": "cats"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.body["error_code"] == "RESOURCE_ALREADY_EXISTS")
            let nameless = try await client.mlflow("experiments/create", owner.token, project: "lab", json: "{}")
            #expect(nameless.body["error_code"] == "INVALID_PARAMETER_VALUE")

            let got = try await client.mlflowGet("experiments/get", owner.token, query: "experiment_id=\(id)")
            #expect(got.body["experiment"]?["tags"]?.mlflowPairs == ["team": "vision"])
            let unknown = try await client.mlflowGet(
                "experiments/get", owner.token, query: "experiment_id=\(ID.make())")
            #expect(unknown.status == .notFound)
            #expect(unknown.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
            let malformed = try await client.mlflowGet("experiments/get", owner.token, query: "experiment_id=12")
            #expect(malformed.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
            let byName = try await client.mlflowGet(
                "experiments/get-by-name", owner.token, project: "lab", query: "experiment_name=cats")
            #expect(byName.body["experiment"]?["experiment_id"]?.text == id)
            let otherCase = try await client.mlflowGet(
                "experiments/get-by-name", owner.token, project: "lab", query: "experiment_name=CATS")
            #expect(otherCase.body["error_code"] == "RESOURCE_DOES_NOT_EXIST", "MLflow's names are exact")
            let notHere = try await client.mlflowGet(
                "experiments/get-by-name", owner.token, query: "experiment_name=cats")
            #expect(notHere.status == .notFound, "the default project has no such experiment")
            let forbidden = try await client.mlflowGet("experiments/get", viewer.token, query: "experiment_id=\(id)")
            #expect(forbidden.body["error_code"] == "RESOURCE_DOES_NOT_EXIST", "outsiders learn nothing")

            #expect(
                try await client.mlflow(
                    "experiments/set-experiment-tag", owner.token,
                    json: #"{"experiment_id": "\#(id)", "key": "mlflow.note.content", "value": "hi"}"#
                ).status == .ok)
            try await client.mlflow(
                "experiments/set-experiment-tag", owner.token,
                json: #"{"experiment_id": "\#(id)", "key": "team", "value": "nlp"}"#)
            try await client.mlflow(
                "experiments/delete-experiment-tag", owner.token, json: #"{"experiment_id": "\#(id)", "key": "team"}"#)
            let tagged = try await client.mlflowGet("experiments/get", owner.token, query: "experiment_id=\(id)")
            #expect(tagged.body["experiment"]?["tags"]?.mlflowPairs == ["mlflow.note.content": "hi"])
            let noTag = try await client.mlflow(
                "experiments/delete-experiment-tag", owner.token, json: #"{"experiment_id": "\#(id)", "key": "team"}"#)
            #expect(noTag.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")

            #expect(
                try await client.mlflow(
                    "experiments/update", owner.token, json: #"{"experiment_id": "\#(id)", "new_name": "felines"}"#
                ).status == .ok)
            #expect(try await client.call(.get, "/v1/experiments/\(id)", token: owner.token).body["name"] == "felines")
            let clash = try await client.mlflow(
                "experiments/update", owner.token, json: #"{"experiment_id": "\#(id)", "new_name": "baseline"}"#)
            #expect(clash.body["error_code"] == "RESOURCE_ALREADY_EXISTS")

            #expect(
                try await client.mlflow("experiments/delete", owner.token, json: #"{"experiment_id": "\#(id)"}"#)
                    .status == .ok)
            let deleted = try await client.mlflowGet("experiments/get", owner.token, query: "experiment_id=\(id)")
            #expect(deleted.body["experiment"]?["lifecycle_stage"] == "deleted")
            #expect(
                try await client.call(.get, "/v1/experiments/\(id)", token: owner.token).body["lifecycle"] == "trashed")
            let runInTrash = try await client.mlflow(
                "runs/create", owner.token, json: #"{"experiment_id": "\#(id)"}"#)
            #expect(runInTrash.body["error_code"] == "INVALID_STATE")
            try await client.mlflow("experiments/restore", owner.token, json: #"{"experiment_id": "\#(id)"}"#)
            #expect(
                try await client.call(.get, "/v1/experiments/\(id)", token: owner.token).body["lifecycle"] == "active")

            let anonymous = try await client.call(
                .get, "/api/2.0/mlflow/experiments/get?experiment_id=\(id)")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.body["error_code"] == "UNAUTHENTICATED")
        }
    }

    @Test("search filters on name and tags with = != LIKE ILIKE, orders, pages and keeps to the project and view")
    func search() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            _ = try await client.projectAndExperiment(owner.token, project: "zoo")
            var ids: [String: String] = [:]
            for (name, team) in [("cat-a", "vision"), ("cat-b", "nlp"), ("Dog", "vision"), ("bird", "audio")] {
                let made = try await client.mlflow(
                    "experiments/create", owner.token, project: "zoo",
                    json: #"{"name": "\#(name)", "tags": [{"key": "team", "value": "\#(team)"}]}"#)
                ids[name] = made.body["experiment_id"]?.text
            }
            func names(_ body: String) async throws -> [String] {
                let found = try await client.mlflow("experiments/search", owner.token, project: "zoo", json: body)
                #expect(found.status == .ok, "\(found.body)")
                return found.body["experiments"]?.arrayValue?.map { $0["name"]?.text ?? "" } ?? []
            }
            #expect(try await names(#"{"filter": "name LIKE 'cat%'", "order_by": ["name"]}"#) == ["cat-a", "cat-b"])
            #expect(try await names(#"{"filter": "name ILIKE 'd%'"}"#) == ["Dog"])
            #expect(try await names(#"{"filter": "name LIKE 'd%'"}"#) == [])
            #expect(
                try await names(#"{"filter": "tags.team = 'vision' AND name != 'Dog'", "order_by": ["name DESC"]}"#)
                    == ["cat-a"])
            #expect(try await names(#"{"filter": "attribute.name = \"bird\""}"#) == ["bird"])
            #expect(
                try await names(#"{"filter": "name LIKE '%a%'", "order_by": ["name ASC"]}"#)
                    == ["baseline", "cat-a", "cat-b"])

            var seen: [String] = []
            var token: String?
            repeat {
                let tokenMember = token.map { #", "page_token": "\#($0)""# } ?? ""
                let page = try await client.mlflow(
                    "experiments/search", owner.token, project: "zoo",
                    json: #"{"max_results": 2, "order_by": ["name"]\#(tokenMember)}"#)
                seen += page.body["experiments"]?.arrayValue?.map { $0["name"]?.text ?? "" } ?? []
                token = page.body["next_page_token"]?.stringValue
            } while token != nil
            #expect(seen == ["Dog", "baseline", "bird", "cat-a", "cat-b"])

            try await client.mlflow("experiments/delete", owner.token, json: #"{"experiment_id": "\#(ids["bird"]!)"}"#)
            #expect(try await names(#"{"filter": "name = 'bird'"}"#) == [])
            #expect(try await names(#"{"filter": "name = 'bird'", "view_type": "DELETED_ONLY"}"#) == ["bird"])
            #expect(
                try await names(#"{"view_type": "ALL", "filter": "name LIKE 'b%'"}"#).sorted() == ["baseline", "bird"])

            let bad = try await client.mlflow(
                "experiments/search", owner.token, project: "zoo", json: #"{"filter": "name ~ 'x'"}"#)
            #expect(bad.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let badToken = try await client.mlflow(
                "experiments/search", owner.token, project: "zoo", json: #"{"page_token": "nonsense"}"#)
            #expect(badToken.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let tooMany = try await client.mlflow(
                "experiments/search", owner.token, project: "zoo", json: #"{"max_results": 50001}"#)
            #expect(tooMany.body["error_code"] == "INVALID_PARAMETER_VALUE")
        }
    }
}

/// Calls of the MLflow tracking suites: MLflow's paths, with or without a project prefix.
extension TestClientProtocol {
    /// POSTs `json` to `/api/2.0/mlflow/<path>`, or under `/mlflow/<project>` when one is given.
    @discardableResult
    func mlflow(
        _ path: String, _ token: String, project: String? = nil, json: String = "{}"
    ) async throws -> (status: HTTPResponse.Status, body: JSONValue) {
        try await call(.post, mlflowPath(path, project: project), token: token, json: json)
    }

    /// GETs `/api/2.0/mlflow/<path>?<query>`.
    func mlflowGet(
        _ path: String, _ token: String, project: String? = nil, query: String
    ) async throws -> (status: HTTPResponse.Status, body: JSONValue) {
        try await call(.get, mlflowPath(path, project: project) + "?" + query, token: token)
    }

    /// A run created through MLflow's CreateRun in `experiment`; its id.
    func mlflowRun(
        _ token: String, experiment: String, name: String? = nil, project: String? = nil
    ) async throws -> String {
        let nameMember = name.map { #", "run_name": "\#($0)""# } ?? ""
        let created = try await mlflow(
            "runs/create", token, project: project,
            json: #"{"experiment_id": "\#(experiment)", "start_time": 1700000000000\#(nameMember)}"#)
        try #require(created.status == .ok, "\(created.body)")
        return created.body["run"]?["info"]?["run_id"]?.text ?? ""
    }

    private func mlflowPath(_ path: String, project: String?) -> String {
        (project.map { "/mlflow/\($0)" } ?? "") + "/api/2.0/mlflow/" + path
    }
}

extension JSONValue {
    /// MLflow's `[{key, value}]` as a dictionary.
    var mlflowPairs: [String: JSONValue] {
        Dictionary(
            (arrayValue ?? []).map { ($0["key"]?.text ?? "", $0["value"] ?? .null) }, uniquingKeysWith: { $1 })
    }
}
