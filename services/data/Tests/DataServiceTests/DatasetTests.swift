import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: datasets, versions and lineage")
struct DatasetTests {
    @Test(
        "a draft takes files, finalizing seals it, runs name final versions as inputs, purge frees what no one else holds"
    )
    func versions() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let dataset = try await client.call(
                .post, "/v1/projects/\(project)/datasets", token: owner.token, json: #"{"name": "images"}"#)
            #expect(dataset.status == .created, "\(dataset.body)")
            let datasetID = dataset.body["id"]?.text ?? ""
            #expect(
                try await client.call(
                    .post, "/v1/projects/\(project)/datasets", token: owner.token, json: #"{"name": "Images"}"#
                ).status == .conflict)

            let draft = try await client.call(
                .post, "/v1/datasets/\(datasetID)/versions", token: owner.token,
                json: #"{"description": "first cut", "schema": {"label": "int"}}"#
            ).body
            #expect(draft["number"] == 1 && draft["state"] == "draft")
            let version = draft["id"]?.text ?? ""
            let (train, test) = (FileTests.bytes(4000, seed: 5), FileTests.bytes(1000, seed: 6))
            #expect(
                try await client.upload(owner.token, "/v1/dataset-versions/\(version)/files/train.bin", train).status
                    == .created)
            #expect(
                try await client.upload(owner.token, "/v1/dataset-versions/\(version)/files/test.bin", test).status
                    == .created)

            let run = try await client.newRun(owner.token, experiment: experiment)
            let early = try await client.call(.put, "/v1/runs/\(run)/inputs/\(version)", token: owner.token)
            #expect(early.body["error"]?["code"] == "version_draft")

            let sealed = try await client.call(.post, "/v1/dataset-versions/\(version)/finalize", token: owner.token)
                .body
            #expect(sealed["state"] == "final" && sealed["fileCount"] == 2 && sealed["size"] == 5000)
            let changed = try await client.upload(
                owner.token, "/v1/dataset-versions/\(version)/files/more.bin", [1, 2, 3])
            #expect(changed.body["error"]?["code"] == "version_final")
            #expect(
                try await client.call(.delete, "/v1/dataset-versions/\(version)/files/train.bin", token: owner.token)
                    .status == .conflict)
            #expect(
                try await client.download(owner.token, "/v1/dataset-versions/\(version)/files/train.bin").bytes == train
            )

            #expect(
                try await client.call(.put, "/v1/runs/\(run)/inputs/\(version)", token: owner.token).status == .created)
            #expect(try await client.call(.put, "/v1/runs/\(run)/inputs/\(version)", token: owner.token).status == .ok)
            let inputs = try await client.call(.get, "/v1/runs/\(run)/inputs", token: owner.token).body["items"]?
                .arrayValue
            #expect(inputs?.map { $0["datasetVersionId"]?.text ?? "" } == [version])
            let readers = try await client.call(.get, "/v1/dataset-versions/\(version)/runs", token: owner.token).body[
                "items"]?.arrayValue
            #expect(readers?.map { $0["runId"]?.text ?? "" } == [run])
            #expect(
                try await client.call(.post, "/v1/datasets/\(datasetID)/versions", token: owner.token, json: "{}").body[
                    "number"] == 2)

            // The run also keeps a copy of the test split: purging the version frees only the train split.
            #expect(try await client.upload(owner.token, "/v1/runs/\(run)/files/test.bin", test).status == .created)
            #expect(try await client.call(.delete, "/v1/dataset-versions/\(version)", token: owner.token).status == .ok)
            #expect(
                try await client.call(.delete, "/v1/dataset-versions/\(version)?purge=true", token: owner.token).body[
                    "freedBytes"] == 4000)
            #expect(try await client.call(.get, "/v1/runs/\(run)/inputs", token: owner.token).body["items"] == [])
            #expect(try await client.download(owner.token, "/v1/runs/\(run)/files/test.bin").bytes == test)
        }
    }
}
