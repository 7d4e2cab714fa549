import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: MLflow 3's logged models")
struct MLflowLoggedModelTests {
    static let api = "/api/2.0/mlflow/logged-models"

    @Test("create (with its source run), finalize, get, tags, params, search, delete — as log_model does it")
    func lifecycle() async throws {
        let (owner, viewer) = (try await newUser(), try await newUser("viewer"))
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            _ = try await client.call(
                .put, "/v1/projects/\(project)/members/user/\(viewer.id)", token: owner.token,
                json: #"{"role": "viewer"}"#)
            let created = try await client.call(
                .post, Self.api, token: owner.token,
                json: #"""
                    {"experiment_id": "\#(experiment)", "name": "classifier", "model_type": "sklearn",
                     "source_run_id": "\#(run)", "params": [{"key": "alpha", "value": "0.5"}],
                     "tags": [{"key": "mlflow.source.name", "value": "train.py"}]}
                    """#)
            #expect(created.status == .ok, "\(created.body)")
            let info = created.body["model"]?["info"]
            let id = info?["model_id"]?.text ?? ""
            #expect(id.hasPrefix("m-") && id.count == 34)
            #expect(info?["status"] == "LOGGED_MODEL_PENDING")
            #expect(info?["source_run_id"]?.text == run)
            #expect(info?["artifact_uri"]?.text == "mlflow-artifacts:/\(experiment)/\(run)/artifacts/models/\(id)")

            // Its files are the run's files under models/<id>/.
            let file = Array("flavors: {}\n".utf8)
            #expect(
                try await client.upload(
                    owner.token,
                    "/api/2.0/mlflow-artifacts/artifacts/\(experiment)/\(run)/artifacts/models/\(id)/MLmodel",
                    file
                ).status == .ok)
            #expect(try await client.download(owner.token, "/v1/runs/\(run)/files/models/\(id)/MLmodel").bytes == file)

            let denied = try await client.call(
                .patch, "\(Self.api)/\(id)", token: viewer.token, json: #"{"status": "LOGGED_MODEL_READY"}"#)
            #expect(denied.body["error_code"] == "PERMISSION_DENIED")
            let ready = try await client.call(
                .patch, "\(Self.api)/\(id)", token: owner.token, json: #"{"model_id": "\#(id)", "status": 2}"#)
            #expect(ready.body["model"]?["info"]?["status"] == "LOGGED_MODEL_READY", "\(ready.body)")
            #expect(
                try await client.call(
                    .patch, "\(Self.api)/\(id)/tags", token: owner.token,
                    json: #"{"tags": [{"key": "stage", "value": "candidate"}]}"#
                ).status == .ok)
            #expect(
                try await client.call(
                    .post, "\(Self.api)/\(id)/params", token: owner.token,
                    json: #"{"params": [{"key": "depth", "value": "7"}]}"#
                ).status == .ok)

            // The registry (mlhub) resolves models:/<id> by reading it with the caller's token.
            let got = try await client.call(.get, "/mlflow/\(project)\(Self.api)/\(id)", token: viewer.token)
            #expect(got.status == .ok)
            #expect(
                got.body["model"]?["info"]?["tags"]?.arrayValue?.compactMap { $0["key"]?.stringValue }.sorted()
                    == ["mlflow.source.name", "stage"])
            #expect(got.body["model"]?["data"]?["params"]?.arrayValue?.count == 2)

            let other = try await client.call(
                .post, Self.api, token: owner.token, json: #"{"experiment_id": "\#(experiment)", "name": "baseline"}"#)
            let otherID = other.body["model"]?["info"]?["model_id"]?.text ?? ""
            #expect(
                other.body["model"]?["info"]?["artifact_uri"]?.text
                    == "mlflow-artifacts:/\(experiment)/models/\(otherID)/artifacts")
            // A run-less model's files are its project's, under mlflow-models/<id>/.
            #expect(
                try await client.upload(
                    owner.token,
                    "/api/2.0/mlflow-artifacts/artifacts/\(experiment)/models/\(otherID)/artifacts/MLmodel",
                    file
                ).status == .ok)
            #expect(
                try await client.download(owner.token, "/v1/projects/\(project)/files/mlflow-models/\(otherID)/MLmodel")
                    .bytes == file)

            let search = { (filter: String) in
                try await client.call(
                    .post, "\(Self.api)/search", token: viewer.token,
                    json: #"{"experiment_ids": ["\#(experiment)"], "filter": "\#(filter)"}"#
                ).body["models"]?.arrayValue?.compactMap { $0["info"]?["name"]?.stringValue } ?? []
            }
            #expect(try await search("") == ["baseline", "classifier"])
            #expect(try await search("params.alpha = '0.5' AND status = 'READY'") == ["classifier"])
            #expect(try await search("name LIKE 'base%'") == ["baseline"])
            let bad = try await client.call(
                .post, "\(Self.api)/search", token: viewer.token,
                json: #"{"experiment_ids": ["\#(experiment)"], "filter": "name ~ 'x'"}"#)
            #expect(bad.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let paged = try await client.call(
                .post, "\(Self.api)/search", token: viewer.token,
                json:
                    #"{"experiment_ids": ["\#(experiment)"], "max_results": 1, "order_by": [{"field_name": "name", "ascending": true}]}"#
            )
            #expect(paged.body["models"]?.arrayValue?.first?["info"]?["name"] == "baseline")
            let token = paged.body["next_page_token"]?.text ?? ""
            let second = try await client.call(
                .post, "\(Self.api)/search", token: viewer.token,
                json:
                    #"{"experiment_ids": ["\#(experiment)"], "max_results": 1, "order_by": [{"field_name": "name"}], "page_token": "\#(token)"}"#
            )
            #expect(second.body["models"]?.arrayValue?.first?["info"]?["name"] == "classifier")
            #expect(second.body["next_page_token"] == nil)

            #expect(try await client.call(.delete, "\(Self.api)/\(id)/tags/stage", token: owner.token).status == .ok)
            #expect(try await client.call(.delete, "\(Self.api)/\(id)", token: owner.token).status == .ok)
            let deleted = try await client.call(.get, "\(Self.api)/\(id)", token: owner.token)
            #expect(deleted.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
            #expect(
                try await client.call(.get, "\(Self.api)/\(id)?allow_deleted=true", token: owner.token).status == .ok)
            #expect(try await search("") == ["baseline"])
        }
    }

    @Test("outsiders do not see a model; an unknown experiment or a run of another project is refused")
    func refusals() async throws {
        let (owner, outsider) = (try await newUser(), try await newUser("outsider"))
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let created = try await client.call(
                .post, Self.api, token: owner.token, json: #"{"experiment_id": "\#(experiment)"}"#)
            let id = created.body["model"]?["info"]?["model_id"]?.text ?? ""
            #expect(created.body["model"]?["info"]?["name"]?.text.isEmpty == false)
            #expect(
                try await client.call(.get, "\(Self.api)/\(id)", token: outsider.token).body["error_code"]
                    == "RESOURCE_DOES_NOT_EXIST")
            #expect(
                try await client.call(
                    .post, Self.api, token: outsider.token, json: #"{"experiment_id": "\#(experiment)"}"#
                ).body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
            #expect(
                try await client.call(.get, "\(Self.api)/m-nothing", token: owner.token).body["error_code"]
                    == "RESOURCE_DOES_NOT_EXIST")
            let (_, foreign) = try await client.projectAndExperiment(outsider.token)
            let foreignRun = try await client.newRun(outsider.token, experiment: foreign)
            #expect(
                try await client.call(
                    .post, Self.api, token: owner.token,
                    json: #"{"experiment_id": "\#(experiment)", "source_run_id": "\#(foreignRun)"}"#
                ).body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
        }
    }
}
