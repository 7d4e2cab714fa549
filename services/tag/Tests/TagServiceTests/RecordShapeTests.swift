import Foundation
import Platform
import Testing

@testable import TagService

/// The tag records keep the JSON the tag service has always stored, answered and announced.
@Suite("tag: records")
struct RecordShapeTests {
    static let (entity, project) = ("01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-000000000002")

    @Test("a tag's document round-trips; the API shows it without its id")
    func assignment() throws {
        for value in ["prod", nil] as [String?] {
            var stored: JSONValue = [
                "id": .string(Self.project), "kind": "modelVersion", "entityId": .string(Self.entity),
                "projectId": .string(Self.project), "key": "stage",
                "tag": .string(value.map { "stage:\($0)" } ?? "stage"), "createdBy": "u1",
                "createdAt": "2026-01-01T00:00:00.000Z",
            ]
            if let value { stored["value"] = .string(value) }
            let assignment = try stored.decoded(as: TagAssignment.self)
            #expect(try JSONValue(encoding: assignment) == stored)
            var shown = stored
            shown["id"] = nil
            #expect(try JSONValue(encoding: assignment.entityTag) == shown)
        }
    }

    @Test("counters, entity views and the changed event keep their shapes")
    func others() throws {
        let counter: JSONValue = [
            "id": .string("\(Self.project):model:stage:prod"), "projectId": .string(Self.project), "kind": "model",
            "key": "stage", "value": "prod",
            "tag": "stage:prod", "count": 3,
        ]
        #expect(try JSONValue(encoding: counter.decoded(as: TagCounter.self)) == counter)
        let entity = EntityRef(kind: .datasetVersion, id: Self.entity, projectID: Self.project)
        #expect(
            try JSONValue(encoding: EntityView(entity)) == [
                "id": .string("datasetVersion:\(Self.entity)"), "kind": "datasetVersion",
                "entityId": .string(Self.entity), "projectId": .string(Self.project),
            ])
        let change = TagChange(
            entity, now: [Tag(key: "z", value: nil), Tag(key: "a", value: "1")], added: [Tag(key: "a", value: "1")],
            removed: [])
        #expect(
            try JSONValue(encoding: change) == [
                "kind": "datasetVersion", "entityId": .string(Self.entity), "projectId": .string(Self.project),
                "tags": ["a:1", "z"], "added": ["a:1"], "removed": [],
            ])
    }

    @Test("an addition names the tag at fault")
    func addition() throws {
        for (body, field) in [
            (#"{"tags": []}"#, "tags"), (#"{"tags": ["ok", " bad key"]}"#, "tags.1"),
            (#"{"tags": ["a:1", "a:2"]}"#, "tags.1"),
        ] {
            do {
                _ = try JSONDecoder().decode(TagAddition.self, from: Data(body.utf8))
                Issue.record("accepted \(body)")
            } catch let error as APIError {
                #expect(error.field == field, "\(body) → \(error)")
            }
        }
    }
}
