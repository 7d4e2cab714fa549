import Foundation
import Platform
import PlatformTesting
import Testing

@Suite("ingest → hub → deploy", .serialized)
struct IngestFlowTests {
    @Test(
        "a package is ingested, found in the hub, tagged, deployed with checked parameters; popularity rises; sending it again changes nothing",
        .timeLimit(.minutes(3)))
    func modelFlow() async throws {
        try await Self.modelFlow(on: try FlowCluster.shared())
    }

    /// The flow itself, on whichever bus the cluster runs.
    static func modelFlow(on cluster: FlowCluster) async throws {
        let owner = try await cluster.newOwner()
        let name = "denoiser-\(ID.make().suffix(6))"
        let package = try ModelPackage.denoiser(name).tar()

        let ingested = try await cluster.ingest(package, project: owner.project, token: owner.token)
        #expect(ingested.status == 201, "\(ingested.body)")
        #expect(ingested.body["state"] == "accepted")
        #expect(
            ingested.body["transitions"]?.arrayValue?.compactMap { $0["state"]?.stringValue } == [
                "received", "validating", "accepted",
            ])
        let ingestion = try #require(ingested.body["id"]?.stringValue)
        #expect(
            try await httpCall(cluster.ingestURL + "/v1/ingestions/\(ingestion)", "GET", token: owner.token).body[
                "state"] == "accepted")

        let scope = "\(cluster.hubURL)/v1/search?projectId=\(owner.project)"
        let found = try await cluster.eventually("\(scope)&q=denoising", token: owner.token) {
            ($0["items"]?.arrayValue?.count ?? 0) == 1
        }
        let version = try #require(found["items"]?.arrayValue?.first)
        #expect(
            version["name"] == .string(name) && version["label"] == "1.0.0" && version["metrics"]?["psnr"] == 31.5
                && version["public"] == true)
        let modelID = try #require(version["modelId"]?.stringValue)
        let files =
            try await httpCall("\(cluster.hubURL)/v1/models/\(modelID)/versions/1/files", "GET", token: owner.token)
            .body["items"]?.arrayValue ?? []
        #expect(Set(files.compactMap { $0["name"]?.stringValue }) == ["model.json", "predict.py", "weights.bin"])
        #expect(
            files.allSatisfy {
                $0["downloadPath"]?.stringValue?.hasPrefix("/api/data/v1/projects/\(owner.project)/files/models/")
                    == true
            })

        // Tagging it changes the facet counts.
        #expect(
            try await httpCall(
                "\(cluster.tagURL)/v1/entities/model/\(modelID)/tags", "POST", ["tags": ["facility:beamline"]],
                token: owner.token
            ).status == 200)
        try await cluster.eventually(scope, token: owner.token) {
            $0["facets"]?["tag"] == [["value": "facility:beamline", "count": 1]]
        }

        // Parameters are checked against the card's schema, by name.
        let deploy = "\(cluster.hubURL)/v1/models/\(modelID)/versions/1/deploy"
        for (parameters, field) in [
            (["mode": "slow"] as JSONValue, "parameters.mode"), (["threshold": 0.2] as JSONValue, "parameters.mode"),
            (["mode": "fast", "threshold": 2] as JSONValue, "parameters.threshold"),
            (["mode": "fast", "speed": 1] as JSONValue, "parameters.speed"),
        ] {
            let refused = try await httpCall(deploy, "POST", ["parameters": parameters], token: owner.token)
            #expect(
                refused.status == 400 && refused.body["error"]?["field"] == .string(field),
                "\(parameters.jsonText) → \(refused.body)")
        }
        let deployed = try await httpCall(
            deploy, "POST", ["parameters": ["mode": "fast", "threshold": 0.25]], token: owner.token)
        #expect(deployed.status == 201, "\(deployed.body)")
        let jobID = try #require(deployed.body["jobId"]?.stringValue)
        let job = try await cluster.eventually(
            "\(cluster.platform.computeURL)/v1/jobs/\(jobID)", token: owner.token, seconds: cluster.patience + 60
        ) {
            ["succeeded", "failed", "cancelled", "timed_out"].contains($0["state"]?.stringValue ?? "")
        }
        #expect(job["state"] == "succeeded", "\(job.jsonText)")
        let logs = try await httpCall("\(cluster.platform.computeURL)/v1/jobs/\(jobID)/logs", "GET", token: owner.token)
            .body
        #expect(
            (logs["items"]?.arrayValue ?? []).contains {
                $0["message"]?.stringValue == "threshold 0.25 mode fast weights 4096"
            }, "\(logs.jsonText)")
        try await cluster.eventually("\(cluster.hubURL)/v1/models/\(modelID)/versions/1", token: owner.token) {
            $0["deployCount"] == 1
        }

        // Someone else deploys the public model into a project of their own.
        let other = try await cluster.newOwner()
        let elsewhere = try await httpCall(
            deploy, "POST", ["projectId": .string(other.project), "parameters": ["mode": "exact"]], token: other.token)
        #expect(
            elsewhere.status == 201 && elsewhere.body["job"]?["projectId"] == .string(other.project),
            "\(elsewhere.body)")
        let theirs = try await cluster.eventually(
            "\(cluster.platform.computeURL)/v1/jobs/\(try #require(elsewhere.body["jobId"]?.stringValue))",
            token: other.token, seconds: cluster.patience + 60
        ) {
            ["succeeded", "failed", "cancelled", "timed_out"].contains($0["state"]?.stringValue ?? "")
        }
        #expect(theirs["state"] == "succeeded", "\(theirs.jsonText)")
        try await cluster.eventually("\(cluster.hubURL)/v1/models/\(modelID)", token: owner.token) {
            $0["deployCount"] == 2
        }
        let intoOwners = try await httpCall(deploy, "POST", ["parameters": ["mode": "exact"]], token: other.token)
        #expect(intoOwners.status == 404, "not an editor of the model's project: \(intoOwners.body)")

        // The same package again: the same ingestion, no second version.
        let again = try await cluster.ingest(package, project: owner.project, token: owner.token)
        #expect(again.status == 200 && again.body["id"] == .string(ingestion))
        try await Self.sentinelIngested(cluster)
        #expect(
            try await httpCall("\(cluster.hubURL)/v1/models/\(modelID)", "GET", token: owner.token).body[
                "latestVersion"] == 1)
    }

    @Test(
        "a version served as a deployment answers invocations checked against its card's inputSchema and counts as a deploy",
        .timeLimit(.minutes(3)))
    func servedVersion() async throws {
        let cluster = try FlowCluster.shared()
        let owner = try await cluster.newOwner()
        let name = "scaler-\(ID.make().suffix(6))"
        let ingested = try await cluster.ingest(
            try ModelPackage.server(name).tar(), project: owner.project, token: owner.token)
        #expect(ingested.status == 201, "\(ingested.body)")
        let models = try await cluster.eventually(
            "\(cluster.hubURL)/v1/projects/\(owner.project)/models", token: owner.token
        ) { $0["items"]?.arrayValue?.isEmpty == false }
        let modelID = try #require(models["items"]?.arrayValue?.first?["id"]?.stringValue)
        let version = try await httpCall(
            "\(cluster.hubURL)/v1/models/\(modelID)/versions/1", "GET", token: owner.token)
        #expect(version.body["deploy"]?["inputSchema"]?["required"] == ["x"], "\(version.body.jsonText)")

        let deploy = "\(cluster.hubURL)/v1/models/\(modelID)/versions/1/deploy"
        for (body, field) in [
            (["service": ["idleSeconds": 0]] as JSONValue, "service.idleSeconds"),
            (["service": ["replicas": 1], "timeoutSeconds": 60], "timeoutSeconds"),
        ] {
            let refused = try await httpCall(deploy, "POST", body, token: owner.token)
            #expect(refused.status == 400 && refused.body["error"]?["field"] == .string(field), "\(refused.body)")
        }
        let served = try await httpCall(deploy, "POST", ["service": ["replicas": 1]], token: owner.token)
        #expect(served.status == 201, "\(served.body)")
        let id = try #require(served.body["deploymentId"]?.stringValue)
        #expect(served.body["deployment"]?["spec"]?["inputSchema"]?["required"] == ["x"])

        let endpoint = "\(cluster.platform.computeURL)/v1/deployments/\(id)/endpoint/invocations"
        let answer = try await httpCall(endpoint, "POST", ["inputs": [["x": 3], ["x": -1.5]]], token: owner.token)
        #expect(answer.status == 200 && answer.body["predictions"] == [12.0, -6.0], "\(answer.body.jsonText)")
        let refused = try await httpCall(endpoint, "POST", ["inputs": [["x": 300]]], token: owner.token)
        #expect(refused.status == 400 && refused.body["error"]?["field"] == "inputs.0.x", "\(refused.body.jsonText)")
        try await cluster.eventually("\(cluster.hubURL)/v1/models/\(modelID)/versions/1", token: owner.token) {
            $0["deployCount"] == 1
        }
        let stopped = try await httpCall(
            "\(cluster.platform.computeURL)/v1/deployments/\(id)", "DELETE", token: owner.token)
        #expect(stopped.body["state"] == "stopped", "\(stopped.body.jsonText)")
    }

    /// Ingests a good package in a project of its own and waits until the hub has its model:
    /// mlex.ingest is one ordered log, so the hub has then also read every event before it —
    /// a check that something did not happen is made after this, however slow the hub is.
    static func sentinelIngested(_ cluster: FlowCluster) async throws {
        let owner = try await cluster.newOwner()
        let sentinel = try await cluster.ingest(
            try ModelPackage.denoiser("sentinel-\(ID.make().suffix(6))").tar(), project: owner.project,
            token: owner.token)
        #expect(sentinel.status == 201, "\(sentinel.body)")
        _ = try await cluster.eventually("\(cluster.hubURL)/v1/projects/\(owner.project)/models", token: owner.token) {
            $0["items"]?.arrayValue?.isEmpty == false
        }
    }

    @Test(
        "bad packages are rejected with reasons naming the field or the file, and leave nothing visible",
        .timeLimit(.minutes(2)))
    func rejections() async throws {
        let cluster = try FlowCluster.shared()
        let owner = try await cluster.newOwner()
        let good = ModelPackage.denoiser("rejected-\(ID.make().suffix(6))")

        var unnamed = good
        unnamed.card["name"] = "no spaces allowed"
        unnamed.card["parameters"] = ["type": "object", "properties": ["x": ["type": "float"]]]
        unnamed.card["inputSchema"] = ["type": "object", "properties": ["x": ["type": "number"]], "required": ["y"]]
        var extra = good
        extra.files["notes.txt"] = Data("not listed".utf8)
        var twoEnvironments = good
        twoEnvironments.card["image"] = "python:3.12-slim"
        twoEnvironments.card["template"] = "python-cpu"
        let listed: [JSONValue] = [
            [
                "path": "predict.py", "size": .int(Int64(good.files["predict.py"]!.count)),
                "sha256": .string(String(repeating: "0", count: 64)),
            ],
            ["path": "weights.bin", "size": 4096, "sha256": .string(String(repeating: "a", count: 64))],
            ["path": "missing.bin", "size": 1, "sha256": .string(String(repeating: "b", count: 64))],
        ]
        let cases: [(Data, [String])] = [
            (try unnamed.tar(), ["inputSchema.required.0", "name", "parameters.properties.x.type"]),
            (try good.tar(listed: listed), ["files.0.sha256", "files.1.sha256", "files.2.path"]),
            (try extra.tar(listed: good.listing()), ["files"]),
            (try twoEnvironments.tar(), ["image"]),
            (Data("not a tar at all".utf8), []),
        ]
        for (package, fields) in cases {
            let answer = try await cluster.ingest(package, project: owner.project, token: owner.token)
            #expect(answer.status == 422 && answer.body["state"] == "rejected", "\(answer.body)")
            let reasons = answer.body["reasons"]?.arrayValue ?? []
            #expect(!reasons.isEmpty && reasons.allSatisfy { $0["message"]?.stringValue?.isEmpty == false })
            #expect(Set(reasons.compactMap { $0["field"]?.stringValue }) == Set(fields), "\(reasons)")
        }
        let checksum = try await cluster.ingest(
            try good.tar(listed: listed), project: owner.project, token: owner.token)
        #expect(
            checksum.body["reasons"]?.arrayValue?.contains {
                $0["file"] == "weights.bin" && $0["message"]?.stringValue?.contains("SHA-256") == true
            } == true)

        try await Self.sentinelIngested(cluster)
        let stored = try await httpCall(
            "\(cluster.platform.dataURL)/v1/projects/\(owner.project)/files?prefix=models/", "GET", token: owner.token
        ).body
        #expect(stored["items"]?.arrayValue?.isEmpty == true, "\(stored)")
        #expect(
            try await httpCall("\(cluster.hubURL)/v1/projects/\(owner.project)/models", "GET", token: owner.token).body[
                "items"]?.arrayValue?.isEmpty == true)
        let unauthorized = try await httpSend(
            cluster.ingestURL + "/v1/models?projectId=\(owner.project)", "POST", bytes: try good.tar(), token: nil)
        #expect(unauthorized.status == 401)
        let stranger = try await cluster.platform.users.signUp("stranger-\(ID.make().suffix(10))@lab.example")
        #expect(try await cluster.ingest(try good.tar(), project: owner.project, token: stranger.token).status == 404)
    }

    @Test("a dataset package becomes a final version of the named dataset", .timeLimit(.minutes(2)))
    func datasetPackage() async throws {
        let cluster = try FlowCluster.shared()
        let owner = try await cluster.newOwner()
        let package = try ModelPackage(
            card: .null, files: ["scans/a.csv": Data("1,2\n".utf8), "scans/b.csv": Data("3,4\n".utf8)]
        ).tar()
        let answer = try await httpSend(
            cluster.ingestURL + "/v1/datasets?projectId=\(owner.project)&name=scans", "POST", bytes: package,
            contentType: "application/x-tar", token: owner.token)
        #expect(answer.status == 201 && answer.body["fileCount"] == 2, "\(answer.body)")
        let version = try await httpCall(
            "\(cluster.platform.dataURL)/v1/dataset-versions/\(try #require(answer.body["datasetVersionId"]?.stringValue))",
            "GET", token: owner.token
        ).body
        #expect(version["state"] == "final" && version["fileCount"] == 2, "\(version)")
    }
}
