import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: MLflow tracking API — runs and what they log")
struct MLflowTrackingRunTests {
    @Test("create, get, log-batch, log-metric, log-parameter, tags, update and delete show in our own API")
    func runLifecycle() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let created = try await client.mlflow(
                "runs/create", owner.token,
                json: #"""
                    {"experiment_id": "0", "user_id": "someone-else", "start_time": "1700000000123",
                     "tags": [{"key": "mlflow.user", "value": "alice"}, {"key": "mlflow.runName", "value": "warm-cat"}]}
                    """#)
            #expect(created.status == .ok, "\(created.body)")
            let info = created.body["run"]?["info"] ?? .null
            let run = info["run_id"]?.text ?? ""
            #expect(info["run_uuid"]?.text == run)
            #expect(info["run_name"] == "warm-cat")
            #expect(info["status"] == "RUNNING")
            #expect(info["user_id"]?.text == owner.id, "the caller, not the client's claim")
            #expect(info["start_time"]?.intValue == 1_700_000_000_123)
            let experiment = info["experiment_id"]?.text ?? ""
            #expect(info["artifact_uri"]?.text == "mlflow-artifacts:/\(experiment)/\(run)/artifacts")
            #expect(created.body["run"]?["data"]?["tags"]?.mlflowPairs["mlflow.user"] == "alice")

            let batch = try await client.mlflow(
                "runs/log-batch", owner.token,
                json: #"""
                    {"run_id": "\#(run)",
                     "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1700000001000, "step": 1},
                                 {"key": "loss", "value": 0.25, "timestamp": "1700000002000", "step": "2"},
                                 {"key": "val/acc", "value": 0.75, "timestamp": 1700000002000, "step": 2}],
                     "params": [{"key": "lr", "value": "0.01"}, {"key": "optimizer", "value": "adam"}],
                     "tags": [{"key": "team", "value": "vision"}]}
                    """#)
            #expect(batch.status == .ok, "\(batch.body)")
            #expect(batch.body == [:])
            try await client.mlflow(
                "runs/log-metric", owner.token,
                json: #"{"run_id": "\#(run)", "key": "loss", "value": 0.125, "timestamp": 1700000003000, "step": 3}"#)
            try await client.mlflow(
                "runs/log-parameter", owner.token, json: #"{"run_uuid": "\#(run)", "key": "epochs", "value": "10"}"#)
            try await client.mlflow(
                "runs/set-tag", owner.token, json: #"{"run_id": "\#(run)", "key": "stage", "value": "dev"}"#)

            // Everything is in our own run, as our API, mlex and the web UI read it.
            let ours = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(ours["params"] == ["lr": "0.01", "optimizer": "adam", "epochs": "10"])
            #expect(ours["tags"]?["team"] == "vision")
            #expect(ours["tags"]?["stage"] == "dev")
            #expect(ours["tags"]?["mlflow.runName"] == "warm-cat")
            #expect(ours["metrics"]?["loss"]?.numberValue == 0.125)
            #expect(ours["metrics"]?["val/acc"]?.numberValue == 0.75)
            #expect(ours["createdBy"]?.text == owner.id)
            #expect(ours["startTime"] == "2023-11-14T22:13:20.123Z")
            let history = try await client.call(.get, "/v1/runs/\(run)/metrics/history?key=loss", token: owner.token)
            #expect(history.body["items"]?.arrayValue?.compactMap { $0["value"]?.numberValue } == [0.5, 0.25, 0.125])

            let got = try await client.mlflowGet("runs/get", owner.token, query: "run_id=\(run)")
            let data = got.body["run"]?["data"] ?? .null
            #expect(data["params"]?.mlflowPairs == ["lr": "0.01", "optimizer": "adam", "epochs": "10"])
            let loss = data["metrics"]?.arrayValue?.first { $0["key"] == "loss" }
            #expect(loss?["value"]?.numberValue == 0.125)
            #expect(loss?["step"]?.intValue == 3)
            #expect(loss?["timestamp"]?.intValue == 1_700_000_003_000)

            // MLflow's params are written once: the same text again is fine, another is refused.
            #expect(
                try await client.mlflow(
                    "runs/log-parameter", owner.token, json: #"{"run_id": "\#(run)", "key": "lr", "value": "0.01"}"#
                ).status == .ok)
            let changed = try await client.mlflow(
                "runs/log-parameter", owner.token, json: #"{"run_id": "\#(run)", "key": "lr", "value": "0.02"}"#)
            #expect(changed.status == .badRequest)
            #expect(changed.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let inBatch = try await client.mlflow(
                "runs/log-batch", owner.token,
                json: #"{"run_id": "\#(run)", "params": [{"key": "optimizer", "value": "sgd"}]}"#)
            #expect(inBatch.body["error_code"] == "INVALID_PARAMETER_VALUE")

            // A param our own API logged as a number counts by its text.
            _ = try await client.call(
                .post, "/v1/runs/\(run)/params", token: owner.token, json: #"{"params": {"depth": 3}}"#)
            #expect(
                try await client.mlflow(
                    "runs/log-parameter", owner.token, json: #"{"run_id": "\#(run)", "key": "depth", "value": "3"}"#
                ).status == .ok)

            // mlflow.runName renames; tags are deleted once, then are missing.
            try await client.mlflow(
                "runs/set-tag", owner.token,
                json: #"{"run_id": "\#(run)", "key": "mlflow.runName", "value": "renamed"}"#)
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body["name"] == "renamed")
            #expect(
                try await client.mlflow("runs/delete-tag", owner.token, json: #"{"run_id": "\#(run)", "key": "stage"}"#)
                    .status == .ok)
            let gone = try await client.mlflow(
                "runs/delete-tag", owner.token, json: #"{"run_id": "\#(run)", "key": "stage"}"#)
            #expect(gone.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body["tags"]?["stage"] == nil)

            let finished = try await client.mlflow(
                "runs/update", owner.token,
                json: #"{"run_id": "\#(run)", "status": "FINISHED", "end_time": 1700000009000, "run_name": "done"}"#)
            #expect(finished.body["run_info"]?["status"] == "FINISHED")
            #expect(finished.body["run_info"]?["end_time"]?.intValue == 1_700_000_009_000)
            let afterUpdate = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(afterUpdate["status"] == "finished")
            #expect(afterUpdate["name"] == "done")
            #expect(afterUpdate["tags"]?["mlflow.runName"] == "done")
            // MLflow's client resumes a finished run by setting it RUNNING again.
            let resumed = try await client.mlflow(
                "runs/update", owner.token, json: #"{"run_id": "\#(run)", "status": "RUNNING"}"#)
            #expect(resumed.body["run_info"]?["status"] == "RUNNING")

            try await client.mlflow("runs/delete", owner.token, json: #"{"run_id": "\#(run)"}"#)
            let trashed = try await client.mlflowGet("runs/get", owner.token, query: "run_id=\(run)")
            #expect(trashed.body["run"]?["info"]?["lifecycle_stage"] == "deleted")
            let logTrashed = try await client.mlflow(
                "runs/log-metric", owner.token, json: #"{"run_id": "\#(run)", "key": "x", "value": 1, "timestamp": 1}"#)
            #expect(logTrashed.body["error_code"] == "INVALID_STATE")
            try await client.mlflow("runs/restore", owner.token, json: #"{"run_id": "\#(run)"}"#)
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body["lifecycle"] == "active")

            let unknown = try await client.mlflowGet("runs/get", owner.token, query: "run_id=\(ID.make())")
            #expect(unknown.status == .notFound)
            #expect(unknown.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
            let noID = try await client.mlflowGet("runs/get", owner.token, query: "")
            #expect(noID.body["error_code"] == "INVALID_PARAMETER_VALUE")
        }
    }

    @Test("log-batch keeps MLflow's limits and refuses bad metrics whole")
    func batchLimits() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let run = try await client.mlflowRun(owner.token, experiment: "0")
            func points(_ count: Int) -> String {
                (0..<count).map { #"{"key": "m", "value": \#($0), "timestamp": 1700000000000, "step": \#($0)}"# }
                    .joined(separator: ",")
            }
            let full = try await client.mlflow(
                "runs/log-batch", owner.token, json: #"{"run_id": "\#(run)", "metrics": [\#(points(1000))]}"#)
            #expect(full.status == .ok, "\(full.body)")
            let over = try await client.mlflow(
                "runs/log-batch", owner.token, json: #"{"run_id": "\#(run)", "metrics": [\#(points(1001))]}"#)
            #expect(over.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let params = (0..<101).map { #"{"key": "p\#($0)", "value": "v"}"# }.joined(separator: ",")
            let tooManyParams = try await client.mlflow(
                "runs/log-batch", owner.token, json: #"{"run_id": "\#(run)", "params": [\#(params)]}"#)
            #expect(tooManyParams.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let tags = (0..<101).map { #"{"key": "t\#($0)", "value": "v"}"# }.joined(separator: ",")
            let tooManyTags = try await client.mlflow(
                "runs/log-batch", owner.token, json: #"{"run_id": "\#(run)", "tags": [\#(tags)]}"#)
            #expect(tooManyTags.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let notANumber = try await client.mlflow(
                "runs/log-batch", owner.token,
                json:
                    #"{"run_id": "\#(run)", "metrics": [{"key": "a", "value": 1, "timestamp": 1}, {"key": "b", "value": "high", "timestamp": 1}]}"#
            )
            #expect(notANumber.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let badKey = try await client.mlflow(
                "runs/log-batch", owner.token,
                json: #"{"run_id": "\#(run)", "metrics": [{"key": "bad*key", "value": 1, "timestamp": 1}]}"#)
            #expect(badKey.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let noRun = try await client.mlflow("runs/log-batch", owner.token, json: #"{"metrics": []}"#)
            #expect(noRun.body["error_code"] == "INVALID_PARAMETER_VALUE")
            let ours = try await client.call(.get, "/v1/runs/\(run)/metrics", token: owner.token).body
            #expect(ours["items"]?.arrayValue?.map { $0["key"]?.text ?? "" } == ["m"], "refused batches store nothing")
            #expect(ours["items"]?.arrayValue?.first?["count"]?.intValue == 1000)
        }
    }

    @Test("log-inputs records MLflow's datasets as given; outputs record logged models; both show on the run")
    func inputsAndOutputs() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let run = try await client.mlflowRun(owner.token, experiment: "0")
            let dataset = #"""
                {"tags": [{"key": "mlflow.data.context", "value": "training"}],
                 "dataset": {"name": "iris", "digest": "abc123", "source_type": "local",
                             "source": "{\"uri\": \"/data/iris.csv\"}", "schema": "{}", "profile": "{\"num_rows\": 150}"}}
                """#
            for _ in 0..<2 {
                let logged = try await client.mlflow(
                    "runs/log-inputs", owner.token, json: #"{"run_id": "\#(run)", "datasets": [\#(dataset)]}"#)
                #expect(logged.status == .ok, "\(logged.body)")
            }
            try await client.mlflow(
                "runs/outputs", owner.token, json: #"{"run_id": "\#(run)", "models": [{"model_id": "m-1", "step": 3}]}"#
            )
            let got = try await client.mlflowGet("runs/get", owner.token, query: "run_id=\(run)").body["run"] ?? .null
            let inputs = got["inputs"]?["dataset_inputs"]?.arrayValue ?? []
            #expect(inputs.count == 1, "the same dataset twice is one input")
            #expect(inputs.first?["dataset"]?["digest"] == "abc123")
            #expect(inputs.first?["dataset"]?["profile"] == #"{"num_rows": 150}"#)
            #expect(inputs.first?["tags"]?.mlflowPairs == ["mlflow.data.context": "training"])
            #expect(got["outputs"]?["model_outputs"] == [["model_id": "m-1", "step": 3]])
            let ours = try await client.call(.get, "/v1/runs/\(run)/mlflow-io", token: owner.token).body
            #expect(ours["items"]?.arrayValue?.map { $0["kind"]?.text ?? "" } == ["dataset", "model_output"])
            // A nested run's parent tag links it to its parent in our runs too.
            let child = try await client.mlflow(
                "runs/create", owner.token,
                json: #"{"experiment_id": "0", "tags": [{"key": "mlflow.parentRunId", "value": "\#(run)"}]}"#)
            let childID = child.body["run"]?["info"]?["run_id"]?.text ?? ""
            #expect(
                try await client.call(.get, "/v1/runs/\(childID)", token: owner.token).body["parentRunId"]?.text == run)
            let missingDigest = try await client.mlflow(
                "runs/log-inputs", owner.token,
                json: #"{"run_id": "\#(run)", "datasets": [{"dataset": {"name": "x"}}]}"#)
            #expect(missingDigest.body["error_code"] == "INVALID_PARAMETER_VALUE")
        }
    }
}
