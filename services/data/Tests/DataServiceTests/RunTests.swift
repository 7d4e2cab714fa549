import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: experiments, runs, params, tags and log entries")
struct RunTests {
    @Test("experiment names are unique per project, found by name, renamed, trashed and restored")
    func experiments() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let again = try await client.call(
                .post, "/v1/projects/\(project)/experiments", token: owner.token, json: #"{"name": "Baseline"}"#)
            #expect(again.status == .conflict)
            #expect(again.body["error"]?["field"] == "name")
            let byName = try await client.call(
                .get, "/v1/projects/\(project)/experiments/by-name?name=BASELINE", token: owner.token)
            #expect(byName.body["id"]?.text == experiment)
            #expect(
                try await client.call(
                    .get, "/v1/projects/\(project)/experiments/by-name?name=other", token: owner.token
                ).status == .notFound)
            #expect(
                try await client.call(
                    .patch, "/v1/experiments/\(experiment)", token: owner.token, json: #"{"name": "tuned"}"#
                ).body["name"] == "tuned")
            #expect(try await client.call(.delete, "/v1/experiments/\(experiment)", token: owner.token).status == .ok)
            let intoTrashed = try await client.call(
                .post, "/v1/experiments/\(experiment)/runs", token: owner.token, json: "{}")
            #expect(intoTrashed.body["error"]?["code"] == "experiment_trashed")
            #expect(
                try await client.call(.get, "/v1/projects/\(project)/experiments", token: owner.token).body["items"]
                    == [])
            #expect(
                try await client.call(.post, "/v1/experiments/\(experiment)/restore", token: owner.token).body[
                    "lifecycle"] == "active")
        }
    }

    @Test("runs carry params write-once, tags that overwrite, a source and a parent")
    func paramsAndTags() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let parent = try await client.newRun(owner.token, experiment: experiment)
            let run = try await client.newRun(
                owner.token, experiment: experiment,
                #"""
                {"name": "lr sweep", "parentRunId": "\#(parent)", "source": {"gitCommit": "abc123", "jobId": "j-1"},
                 "params": {"lr": 0.01, "optimizer": "adam", "train/batch size": 32}, "tags": {"team": "vision"}}
                """#)
            let created = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(created["params"]?["train/batch size"] == 32)
            #expect(created["params"]?["lr"] == 0.01)
            #expect(created["source"]?["gitCommit"] == "abc123")
            #expect(created["parentRunId"]?.text == parent)
            #expect(created["status"] == "running")

            #expect(
                try await client.call(
                    .post, "/v1/runs/\(run)/params", token: owner.token,
                    json: #"{"params": {"lr": 0.01, "epochs": 10}}"#
                ).status == .ok)
            let changed = try await client.call(
                .post, "/v1/runs/\(run)/params", token: owner.token, json: #"{"params": {"lr": 0.02, "seed": 1}}"#)
            #expect(changed.status == .conflict)
            #expect(changed.body["error"]?["field"] == "params.lr")
            let after = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(after["params"]?["epochs"] == 10)
            #expect(after["params"]?["seed"] == nil, "nothing of a refused request is stored")

            let tagged = try await client.call(
                .patch, "/v1/runs/\(run)/tags", token: owner.token,
                json: #"{"tags": {"team": "audio", "note.v2": "ok"}}"#)
            #expect(tagged.body["tags"] == ["team": "audio", "note.v2": "ok"])
            let removed = try await client.call(
                .patch, "/v1/runs/\(run)/tags", token: owner.token, json: #"{"tags": {"note.v2": null}}"#)
            #expect(removed.body["tags"] == ["team": "audio"])

            for (json, field) in [
                (#"{"parentRunId": "nope"}"#, "parentRunId"), (#"{"params": {"bad$key": 1}}"#, "params.bad$key"),
                (#"{"params": {"x": [1]}}"#, "params.x"), (#"{"tags": {"t": 1}}"#, "tags.t"),
                (#"{"startTime": "yesterday"}"#, "startTime"),
                (#"{"status": "finished"}"#, "status"), (#"{"status": "flying"}"#, "status"),
            ] {
                let answer = try await client.call(
                    .post, "/v1/experiments/\(experiment)/runs", token: owner.token, json: json)
                #expect(answer.status == .badRequest, "\(json): \(answer.body)")
                #expect(answer.body["error"]?["field"]?.text == field, "\(json): \(answer.body)")
            }
        }
    }

    @Test("status moves on once: a finished run stays finished, with its end time")
    func status() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment, #"{"status": "scheduled"}"#)
            #expect(
                try await client.call(.patch, "/v1/runs/\(run)", token: owner.token, json: #"{"status": "running"}"#)
                    .body["status"] == "running")
            let finished = try await client.call(
                .patch, "/v1/runs/\(run)", token: owner.token,
                json: #"{"status": "finished", "endTime": "2026-11-23T10:00:00Z"}"#)
            #expect(finished.body["endTime"] == "2026-11-23T10:00:00.000Z")
            let back = try await client.call(
                .patch, "/v1/runs/\(run)", token: owner.token, json: #"{"status": "running"}"#)
            #expect(back.status == .conflict)
            #expect(back.body["error"]?["code"] == "invalid_transition")
            #expect(
                try await client.call(.patch, "/v1/runs/\(run)", token: owner.token, json: #"{"status": "finished"}"#)
                    .status == .ok)
            #expect(try await client.call(.delete, "/v1/runs/\(run)", token: owner.token).status == .ok)
            #expect(
                try await client.call(
                    .post, "/v1/runs/\(run)/params", token: owner.token, json: #"{"params": {"a": 1}}"#
                ).body["error"]?["code"] == "run_trashed")
            #expect(
                try await client.call(.get, "/v1/experiments/\(experiment)/runs", token: owner.token).body["items"]
                    == [])
            #expect(
                try await client.call(.get, "/v1/experiments/\(experiment)/runs?view=trashed", token: owner.token).body[
                    "items"]?.arrayValue?.count == 1)
        }
    }

    @Test("log entries append in batches and page back in order, filtered by level")
    func logs() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let entries = (0..<250).map {
                #"{"message": "line \#($0)", "level": "\#($0 % 10 == 0 ? "error" : "info")"}"#
            }.joined(separator: ",")
            #expect(
                try await client.call(
                    .post, "/v1/runs/\(run)/logs", token: owner.token, json: #"{"entries": [\#(entries)]}"#
                ).body["accepted"] == 250)
            var messages: [String] = []
            var after = ""
            while true {
                let page = try await client.call(.get, "/v1/runs/\(run)/logs?limit=100\(after)", token: owner.token)
                    .body
                messages += page["items"]?.arrayValue?.map { $0["message"]?.text ?? "" } ?? []
                guard let next = page["nextAfter"]?.stringValue else { break }
                after = "&after=\(next)"
            }
            #expect(messages == (0..<250).map { "line \($0)" })
            #expect(
                try await client.call(.get, "/v1/runs/\(run)/logs?level=error", token: owner.token).body["items"]?
                    .arrayValue?.count == 25)
            let bad = try await client.call(
                .post, "/v1/runs/\(run)/logs", token: owner.token,
                json: #"{"entries": [{"message": "ok"}, {"message": "x", "level": "loud"}]}"#)
            #expect(bad.status == .badRequest)
            #expect(bad.body["error"]?["field"] == "entries.1.level")
        }
    }
}
