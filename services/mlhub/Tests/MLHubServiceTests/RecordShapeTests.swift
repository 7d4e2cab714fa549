import Foundation
import Platform
import Testing

@testable import MLHubService

/// The records keep the JSON the hub has always stored, answered and announced: a document
/// read into its record and written back is the same document, nulls and absent keys included.
@Suite("mlhub records")
struct RecordShapeTests {
    static let ids = (
        model: "01900000-0000-7000-8000-000000000001", project: "01900000-0000-7000-8000-000000000002",
        version: "01900000-0000-7000-8000-000000000003"
    )

    @Test("a model's document is its record and nameKey")
    func model() throws {
        let stored: JSONValue = [
            "id": .string(Self.ids.model), "projectId": .string(Self.ids.project), "name": "ResNet-50",
            "nameKey": "resnet-50", "task": "classification",
            "authors": ["Ada"], "public": false, "owner": "u1", "tags": ["domain:vision"], "latestVersion": 2,
            "deployCount": 0,
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z",
        ]
        let model = try stored.decoded(as: Model.self)
        #expect(try model.document() == stored)
        #expect(try JSONValue(encoding: model)["nameKey"] == nil, "the API and events never show nameKey")
    }

    @Test("a version keeps its model's missing fields as null, and its tags as the union")
    func version() throws {
        let stored: JSONValue = [
            "id": .string(Self.ids.version), "modelId": .string(Self.ids.model), "projectId": .string(Self.ids.project),
            "number": 1,
            "label": "1.0.0", "stage": "none", "aliases": ["champion"], "source": [:], "metrics": ["acc": 0.9],
            "versionTags": ["b", "a"],
            "deployCount": 0, "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
            "createdBy": "u1",
            "name": "resnet-50", "task": nil, "framework": "pytorch", "license": nil, "authors": [], "public": false,
            "owner": "u1",
            "modelDescription": nil, "modelTags": ["a", "c"], "tags": ["a", "c", "b"],
        ]
        #expect(try JSONValue(encoding: stored.decoded(as: ModelVersion.self)) == stored)
    }

    @Test("an ingested version keeps its deploy instructions, a missing code package as null")
    func ingestedVersion() throws {
        let deploy: JSONValue = [
            "codePackage": "models/x.tar", "command": ["python3", "predict.py"], "image": "python:3.12",
            "parameters": ["mode": ["type": "string", "enum": ["fast", "exact"]]],
            "resources": ["cpus": 1, "memoryMB": 256],
        ]
        for instructions in [deploy, ["codePackage": nil, "template": "pytorch"]] {
            let stored: JSONValue = [
                "id": .string(Self.ids.version), "modelId": .string(Self.ids.model),
                "projectId": .string(Self.ids.project), "number": 3,
                "stage": "production", "aliases": [],
                "source": ["ingestionId": .string(Self.ids.model), "image": "python:3.12"], "metrics": [:],
                "files": ["projectId": .string(Self.ids.project), "prefix": "models/x/"], "deploy": instructions,
                "versionTags": [],
                "deployCount": 4, "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
                "createdBy": "u1",
                "name": "denoiser", "task": "denoising", "framework": nil, "license": "MIT", "authors": ["Ada"],
                "public": true, "owner": "u1",
                "modelDescription": "removes noise", "modelTags": [], "tags": [],
            ]
            #expect(try JSONValue(encoding: stored.decoded(as: ModelVersion.self)) == stored)
        }
    }

    @Test("audit entries keep from and to as they were written")
    func audit() throws {
        let base: JSONValue = [
            "id": .string(Self.ids.version), "modelId": .string(Self.ids.model), "projectId": .string(Self.ids.project),
            "actor": "u1",
            "at": "2026-01-01T00:00:00.000Z",
        ]
        var stage = base
        var updated = base
        var created = base
        stage["action"] = "stage.changed"
        stage["version"] = 2
        stage["from"] = "production"
        stage["to"] = "archived"
        updated["action"] = "model.updated"
        updated["to"] = ["description": "new", "public": true]
        created["action"] = "model.created"
        for entry in [stage, updated, created] {
            #expect(try JSONValue(encoding: entry.decoded(as: AuditEntry.self)) == entry)
        }
    }

    @Test("a change encodes only what it changes; request types name the field at fault")
    func requests() throws {
        let change = try decode(ModelChange.self, #"{"task": "detection", "public": true}"#)
        #expect(try JSONValue(encoding: change) == ["task": "detection", "public": true])
        for (type, body, field) in [
            (ModelChange.self as any Decodable.Type, #"{"name": "renamed"}"#, "name"),
            (ModelCreation.self, #"{"name": "ok", "authors": ["Ada", ""]}"#, "authors.1"),
            (StageChange.self, #"{"stage": "gold"}"#, "stage"),
            (AliasTarget.self, #"{}"#, "version"),
            (
                VersionCreation.self, #"{"source": {"datasetVersionIds": ["\#(Self.ids.model)", "nope"]}}"#,
                "source.datasetVersionIds.1"
            ),
            (VersionCreation.self, #"{"files": {"runId": "\#(Self.ids.model)", "prefix": "../up"}}"#, "files.prefix"),
            (DeployRequest.self, #"{"projectId": "elsewhere"}"#, "projectId"),
        ] {
            #expect(throws: APIError.self, "\(type) \(body)") { try decode(type, body) }
            do {
                _ = try decode(type, body)
            } catch let error as APIError {
                #expect(error.field == field, "\(type) \(body) → \(error)")
            }
        }
    }

    private func decode<Value: Decodable>(_ type: Value.Type, _ body: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(body.utf8))
    }
}
