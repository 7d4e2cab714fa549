import Foundation
import Platform
import PlatformTesting
import Testing

@Suite("mlhub from the bus", .serialized)
struct FlowTests {
    /// A final dataset version holding train.csv: its id.
    func datasetVersion(_ cluster: HubCluster, project: String, token: String) async throws -> String {
        let dataset = try await cluster.data(
            "POST", "/v1/projects/\(project)/datasets", ["name": "numbers"], token: token)
        let version = try await cluster.data(
            "POST", "/v1/datasets/\(try #require(dataset.body["id"]?.stringValue))/versions", [:], token: token)
        let id = try #require(version.body["id"]?.stringValue, "\(version.body)")
        #expect(
            try await cluster.data("PUT", "/v1/dataset-versions/\(id)/files/train.csv", "1 2 3", token: token).status
                == 201)
        #expect(try await cluster.data("POST", "/v1/dataset-versions/\(id)/finalize", token: token).status == 200)
        return id
    }

    func waitForJob(_ cluster: HubCluster, _ id: String, token: String) async throws -> JSONValue {
        for _ in 0..<600 {
            let job = try await cluster.compute("GET", "/v1/jobs/\(id)", token: token).body
            if ["succeeded", "failed", "cancelled", "timed_out"].contains(job["state"]?.stringValue ?? "") {
                return job
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw POSIXError(.ETIMEDOUT)
    }

    @Test(
        "a job asking to register its output becomes a version with metrics, files and lineage; deploys and tags reach search",
        .timeLimit(.minutes(3)))
    func jobToVersion() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        let dataset = try await datasetVersion(cluster, project: owner.project, token: owner.token)
        let script =
            "data = open('/data/train.csv').read()\nprint('::mlex metric acc 0.91', flush=True)\nopen('/output/model.txt', 'w').write('weights ' + data)"
        let submitted = try await cluster.compute(
            "POST", "/v1/jobs",
            [
                "projectId": .string(owner.project), "command": ["/usr/bin/python3", "-c", .string(script)],
                "inputs": [.string(dataset)],
                "resources": ["cpus": 0.5, "memoryMB": 256], "registerModel": ["name": "from-job"],
            ], token: owner.token)
        let jobID = try #require(submitted.body["id"]?.stringValue, "\(submitted.body)")
        let job = try await waitForJob(cluster, jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)")

        let models = try await cluster.eventually("/v1/projects/\(owner.project)/models", token: owner.token) { page in
            page["items"]?.arrayValue?.first?["latestVersion"] == 1
        }
        let model = try #require(models["items"]?.arrayValue?.first)
        #expect(model["name"] == "from-job" && model["owner"] == .string(owner.id))
        let modelID = try #require(model["id"]?.stringValue)
        let version = try await cluster.hub("GET", "/v1/models/\(modelID)/versions/1", token: owner.token).body
        #expect(version["metrics"]?["acc"] == 0.91)
        #expect(version["source"]?["jobId"] == .string(jobID) && version["source"]?["runId"] == job["runId"])
        let files =
            try await cluster.hub("GET", "/v1/models/\(modelID)/versions/1/files", token: owner.token).body["items"]?
            .arrayValue ?? []
        #expect(files.compactMap { $0["name"]?.stringValue } == ["model.txt"])
        #expect(files.first?["downloadPath"]?.stringValue?.hasPrefix("/api/data/v1/runs/") == true)
        let lineage = try await cluster.hub("GET", "/v1/models/\(modelID)/versions/latest/lineage", token: owner.token)
            .body
        #expect(lineage["run"]?["id"] == job["runId"] && lineage["run"]?["status"] == "finished")
        #expect(
            lineage["job"]?["id"] == .string(jobID) && lineage["datasetVersions"] == [.string(dataset)],
            "\(lineage.jsonText)")

        // A job deploying the version makes it more popular.
        let versionID = try #require(version["id"]?.stringValue)
        let deploy = try await cluster.compute(
            "POST", "/v1/jobs",
            [
                "projectId": .string(owner.project), "command": ["/bin/true"],
                "resources": ["cpus": 0.1, "memoryMB": 64], "modelVersionId": .string(versionID),
            ], token: owner.token)
        #expect(deploy.status == 201, "\(deploy.body)")
        try await cluster.eventually("/v1/models/\(modelID)/versions/1", token: owner.token) { $0["deployCount"] == 1 }
        #expect(try await cluster.hub("GET", "/v1/models/\(modelID)", token: owner.token).body["deployCount"] == 1)
        let other = try await cluster.newModel(owner.project, ["name": "never-deployed"], token: owner.token)
        try await cluster.newVersion(other, token: owner.token)
        #expect(
            names(
                try await cluster.hub("GET", "/v1/search?projectId=\(owner.project)&order=popular", token: owner.token)
                    .body
            ).first == "from-job")

        // Tags from the tag service become searchable and countable.
        let tagged = try await httpCall(
            cluster.tagURL + "/v1/entities/model/\(modelID)/tags", "POST", ["tags": ["domain:vision"]],
            token: owner.token)
        #expect(tagged.status == 200, "\(tagged.body)")
        let found = try await cluster.eventually(
            "/v1/search?projectId=\(owner.project)&tag=domain:vision", token: owner.token
        ) { names($0) == ["from-job"] }
        #expect(found["facets"]?["tag"] == [["value": "domain:vision", "count": 1]])
        #expect(
            names(
                try await cluster.hub("GET", "/v1/search?projectId=\(owner.project)&q=vision", token: owner.token).body)
                == ["from-job"])
    }

    @Test(
        "a version's lineage names only what its creator can read, and only readers' jobs count as deploys of a private version",
        .timeLimit(.minutes(3)))
    func lineageAndDeploysStayInside() async throws {
        let cluster = try HubCluster.shared()
        let victim = try await cluster.newOwner()
        let intruder = try await cluster.newOwner()
        let experiment = try #require(
            try await cluster.data(
                "POST", "/v1/projects/\(victim.project)/experiments", ["name": "private"], token: victim.token
            ).body["id"]?.stringValue)
        let run = try #require(
            try await cluster.data("POST", "/v1/experiments/\(experiment)/runs", [:], token: victim.token).body["id"]?
                .stringValue)
        let dataset = try await datasetVersion(cluster, project: victim.project, token: victim.token)
        let job = try #require(
            try await cluster.compute(
                "POST", "/v1/jobs",
                [
                    "projectId": .string(victim.project), "command": ["/bin/true"],
                    "resources": ["cpus": 0.1, "memoryMB": 64],
                ], token: victim.token
            ).body["id"]?.stringValue)

        let model = try await cluster.newModel(intruder.project, ["name": "borrowed"], token: intruder.token)
        for (source, field) in [
            (["runId": JSONValue.string(run)], "source.runId"), (["runId": .string(ID.make())], "source.runId"),
            (["jobId": .string(job)], "source.jobId"),
            (["datasetVersionIds": [.string(dataset)]], "source.datasetVersionIds.0"),
        ] as [([String: JSONValue], String)] {
            let refused = try await cluster.hub(
                "POST", "/v1/models/\(model)/versions", ["source": .object(source)], token: intruder.token)
            #expect(
                refused.status == 400 && refused.body["error"]?["field"] == .string(field), "\(source): \(refused.body)"
            )
            #expect(
                refused.body["error"]?["message"]?.stringValue?.contains("that you can read") == true,
                "a foreign link reads as a missing one")
        }

        // An outsider's job naming a private version does not count; the owner's, sent after
        // it, does — and once it has, the outsider's was seen and left out.
        let secret = try await cluster.newModel(victim.project, ["name": "secret"], token: victim.token)
        try await cluster.newVersion(secret, token: victim.token)
        let versionID = try #require(
            try await cluster.hub("GET", "/v1/models/\(secret)/versions/1", token: victim.token).body["id"]?.stringValue
        )
        for owner in [intruder, victim] {
            let submitted = try await cluster.compute(
                "POST", "/v1/jobs",
                [
                    "projectId": .string(owner.project), "command": ["/bin/true"],
                    "resources": ["cpus": 0.1, "memoryMB": 64], "modelVersionId": .string(versionID),
                ], token: owner.token)
            #expect(submitted.status == 201, "\(submitted.body)")
        }
        try await cluster.eventually("/v1/models/\(secret)/versions/1", token: victim.token) { $0["deployCount"] == 1 }
        #expect(try await cluster.hub("GET", "/v1/models/\(secret)", token: victim.token).body["deployCount"] == 1)
    }

    @Test("a purged project's models and versions leave the hub", .timeLimit(.minutes(2)))
    func purgedProject() async throws {
        let cluster = try HubCluster.shared()
        let owner = try await cluster.newOwner()
        let model = try await cluster.newModel(owner.project, ["name": "doomed", "public": true], token: owner.token)
        try await cluster.newVersion(model, token: owner.token)
        #expect(try await cluster.data("DELETE", "/v1/projects/\(owner.project)", token: owner.token).status == 200)
        #expect(
            try await cluster.data("DELETE", "/v1/projects/\(owner.project)?purge=true", token: owner.token).status
                == 200)
        // Public, so any signed-in user could read it while it exists: a 404 means it is gone.
        let reader = try await cluster.platform.users.signUp("reader-\(ID.make().suffix(10))@lab.example")
        try await cluster.eventuallyStatus("/v1/models/\(model)", 404, token: reader.token)
        #expect(try await cluster.hub("GET", "/v1/models/\(model)/versions/1", token: reader.token).status == 404)
    }

    @Test("replaying every topic from offset 0, processed marks forgotten, changes nothing", .timeLimit(.minutes(3)))
    func replayChangesNothing() async throws {
        let shared = try HubCluster.shared()
        let cluster = try HubCluster.start(on: shared.platform, tagURL: shared.tagURL)
        stopAtExit(cluster.hubPID)
        let owner = try await cluster.newOwner()
        let submitted = try await cluster.compute(
            "POST", "/v1/jobs",
            [
                "projectId": .string(owner.project),
                "command": ["/usr/bin/python3", "-c", "print('::mlex metric acc 0.5')"],
                "resources": ["cpus": 0.1, "memoryMB": 64], "registerModel": ["name": "replayed"],
            ], token: owner.token)
        let jobID = try #require(submitted.body["id"]?.stringValue, "\(submitted.body)")
        #expect(try await waitForJob(cluster, jobID, token: owner.token)["state"] == "succeeded")
        let models = try await cluster.eventually("/v1/projects/\(owner.project)/models", token: owner.token) {
            $0["items"]?.arrayValue?.first?["latestVersion"] == 1
        }
        let modelID = try #require(models["items"]?.arrayValue?.first?["id"]?.stringValue)
        let version = try await cluster.hub("GET", "/v1/models/\(modelID)/versions/1", token: owner.token).body
        try await cluster.compute(
            "POST", "/v1/jobs",
            [
                "projectId": .string(owner.project), "command": ["/bin/true"],
                "resources": ["cpus": 0.1, "memoryMB": 64], "modelVersionId": version["id"]!,
            ], token: owner.token)
        try await httpCall(
            cluster.tagURL + "/v1/entities/modelVersion/\(version["id"]!.stringValue!)/tags", "POST",
            ["tags": ["best"]], token: owner.token)
        let before = try await cluster.eventually("/v1/models/\(modelID)/versions", token: owner.token) { page in
            page["items"]?.arrayValue?.first?["deployCount"] == 1
                && page["items"]?.arrayValue?.first?["tags"] == ["best"]
        }

        Replay.stop(cluster.hubPID)
        let bus = shared.platform.users.stateDirectory.appendingPathComponent("bus.sqlite")
        try Replay.forget(
            groupsPrefix: "mlhub.", bus: bus, store: cluster.hubState.appendingPathComponent("mlhub/store.sqlite"))
        let again = try HubCluster.start(on: shared.platform, tagURL: shared.tagURL, state: cluster.hubState)
        stopAtExit(again.hubPID)
        try await Replay.waitUntilCaughtUp(
            bus: bus,
            groups: [
                "mlex.data": "mlhub.data", "mlex.compute": "mlhub.compute", "mlex.tags": "mlhub.tags",
                "mlex.ingest": "mlhub.ingest",
            ])
        let after = try await again.hub("GET", "/v1/models/\(modelID)/versions", token: owner.token).body
        #expect(after == before, "before \(before.jsonText)\nafter \(after.jsonText)")
        #expect(
            try await again.hub("GET", "/v1/projects/\(owner.project)/models", token: owner.token).body["items"]?
                .arrayValue?.count == 1)
    }
}
