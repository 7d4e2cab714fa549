import Foundation
import Platform
import Testing

@testable import IngestService

/// An ingestion read into its record and written back is the same document: received, rejected
/// with reasons, accepted as a model or as a dataset.
@Suite("ingest: records")
struct RecordShapeTests {
    static let (id, project) = ("01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-000000000002")

    @Test("every stage of an ingestion keeps its document")
    func ingestion() throws {
        let received: JSONValue = [
            "id": .string(Self.id), "kind": "model", "projectId": .string(Self.project), "state": "received",
            "digest": "ab12", "size": 4096,
            "submittedBy": "u1", "transitions": [["state": "received", "at": "2026-01-01T00:00:00.000Z"]],
            "reasons": [],
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
        ]
        var rejected = received
        rejected["state"] = "rejected"
        rejected["reasons"] = [
            ["field": "files.0.sha256", "file": "weights.bin", "message": "has SHA-256 x"],
            ["message": "no model.json"],
        ]
        var model = received
        model["state"] = "accepted"
        model["card"] = ["name": "denoiser", "version": "1.0.0", "resources": ["cpus": 1], "metrics": ["psnr": 31.5]]
        model["name"] = "denoiser"
        model["version"] = "1.0.0"
        model["filesPrefix"] = .string("models/\(Self.id)/")
        model["packagePath"] = .string("models/\(Self.id).tar")
        var dataset = received
        dataset["kind"] = "dataset"
        dataset["state"] = "accepted"
        dataset["name"] = "numbers"
        dataset["datasetId"] = .string(Self.project)
        dataset["datasetVersionId"] = .string(Self.id)
        dataset["versionNumber"] = 3
        dataset["fileCount"] = 2
        for document in [received, rejected, model, dataset] {
            #expect(try JSONValue(encoding: document.decoded(as: Ingestion.self)) == document)
        }
    }

    @Test("an acceptance records what the package became")
    func acceptance() throws {
        let validating: JSONValue = [
            "id": .string(Self.id), "kind": "dataset", "projectId": .string(Self.project), "state": "validating",
            "digest": "ab12", "size": 1,
            "submittedBy": "u1", "transitions": [], "reasons": [], "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        ]
        var ingestion = try validating.decoded(as: Ingestion.self)
        Acceptance.dataset(
            name: "numbers", datasetId: Self.project, datasetVersionId: Self.id, versionNumber: 1, fileCount: 2
        ).record(in: &ingestion)
        let document = try JSONValue(encoding: ingestion)
        #expect(
            document["datasetVersionId"] == .string(Self.id) && document["fileCount"] == 2 && document["card"] == nil)
    }
}
