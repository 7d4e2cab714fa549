import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformTesting
import Testing

@testable import Platform

@Suite("Error shape and input validation")
struct ErrorShapeTests {
    func post(_ body: String, headers: HTTPFields = [.contentType: "application/json"]) async throws -> TestResponse {
        let app = try await buildTestApplication()
        return try await app.test(.router) { client in
            try await client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: ByteBuffer(string: body))
        }
    }

    @Test("a valid body is decoded and answered")
    func valid() async throws {
        let response = try await post(#"{"name":"train","priority":"high","resources":{"cpus":2,"memoryMB":512}}"#)
        #expect(response.status == .created)
        #expect(response.body.json["name"] as? String == "train")
    }

    @Test(
        "bad bodies are 400s naming the field",
        arguments: [
            (#"{"name": "x", "#, "malformed_json", nil),
            ("", "malformed_json", nil),
            (#"[1, 2]"#, "invalid_type", nil),
            (#"{"name": 7, "priority": "low", "resources": {"cpus": 1, "memoryMB": 1}}"#, "invalid_type", "name"),
            (#"{"priority": "low", "resources": {"cpus": 1, "memoryMB": 1}}"#, "missing_field", "name"),
            (
                #"{"name": "x", "priority": "urgent", "resources": {"cpus": 1, "memoryMB": 1}}"#, "invalid_value",
                "priority"
            ),
            (
                #"{"name": "x", "priority": "low", "resources": {"cpus": 1, "memoryMB": "lots"}}"#, "invalid_type",
                "resources.memoryMB"
            ),
            (#"{"name": "x", "priority": "low", "resources": {"cpus": 1}}"#, "missing_field", "resources.memoryMB"),
            (
                #"{"name": "x", "priority": "low", "resources": {"cpus": 1, "memoryMB": 1}, "tags": ["a", 3]}"#,
                "invalid_type", "tags.1"
            ),
            (#"{"name": null, "priority": "low", "resources": {"cpus": 1, "memoryMB": 1}}"#, "missing_field", "name"),
        ] as [(String, String, String?)])
    func badBodies(body: String, code: String, field: String?) async throws {
        let response = try await post(body)
        #expect(response.status == .badRequest)
        #expect(response.body.apiError["code"] as? String == code)
        #expect(response.body.apiError["field"] as? String == field)
        #expect((response.body.apiError["message"] as? String)?.isEmpty == false)
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
    }

    @Test("a body over the limit is 413, declared or streamed")
    func tooLarge() async throws {
        let big =
            #"{"name": ""# + String(repeating: "x", count: 2000)
            + #"", "priority": "low", "resources": {"cpus": 1, "memoryMB": 1}}"#
        let response = try await post(big)
        #expect(response.status == .contentTooLarge)
        #expect(response.body.apiError["code"] as? String == "payload_too_large")
    }

    @Test("domain errors map to their declared status")
    func domainError() async throws {
        let response = try await post(#"{"name":"taken","priority":"low","resources":{"cpus":1,"memoryMB":1}}"#)
        #expect(response.status == .conflict)
        #expect(response.body.apiError["code"] as? String == "duplicate_name")
        #expect(response.body.apiError["field"] as? String == "name")
    }

    @Test("unexpected errors are a bare 500 that leaks nothing")
    func unexpected() async throws {
        let app = try await buildTestApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/explode", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(response.body.apiError["code"] as? String == "internal_error")
                #expect(!String(buffer: response.body).contains("SurpriseError"))
            }
        }
    }

    @Test("unknown routes, methods and malformed ids are 404s in the same shape")
    func notFound() async throws {
        let app = try await buildTestApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.body.apiError["code"] as? String == "route_not_found")
            }
            try await client.execute(uri: "/v1/jobs/not-a-uuid", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.body.apiError["code"] as? String == "not_found")
            }
            let id = ID.make()
            try await client.execute(uri: "/v1/jobs/\(id)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["id"] as? String == id)
            }
        }
    }
}

@Suite("Ids")
struct IDTests {
    @Test("UUIDv7: canonical, version 7, variant 10, ordered by time")
    func uuidV7() {
        let earlier = ID.make(now: Date(timeIntervalSince1970: 1_700_000_000))
        let later = ID.make(now: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(ID.isValid(earlier))
        #expect(Array(earlier)[14] == "7")
        #expect("89ab".contains(Array(earlier)[19]))
        #expect(earlier < later)
        #expect(ID.make() != ID.make())
        let burst = (0..<10_000).map { _ in ID.make() }
        #expect(burst == burst.sorted(), "ids made in one millisecond still increase")
        #expect(Set(burst).count == burst.count)
    }

    @Test(
        "malformed ids are rejected",
        arguments: [
            "", "abc", "0190A0B0-0000-7000-8000-000000000000", "0190a0b0-0000-7000-8000-00000000000",
            "0190a0b0_0000-7000-8000-000000000000",
        ])
    func malformed(text: String) {
        #expect(!ID.isValid(text))
    }
}
