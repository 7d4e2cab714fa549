import Auth
import Bus
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("Audit trail")
struct AuditTrailTests {
    /// The entries published on `mlex.audit` until `count` have come (or 60 s passed).
    static func published(_ subscription: any BusSubscription, count: Int) async throws -> [JSONValue] {
        var entries: [JSONValue] = []
        // Generous: beside every other suite on two cores the drain task may wait long for a thread.
        let deadline = Date().addingTimeInterval(60)
        while entries.count < count, Date() < deadline {
            for delivery in try await subscription.next(max: 100, wait: .milliseconds(200)) {
                #expect(delivery.event.type == AuditTrail.eventType && delivery.event.subject == delivery.event.id)
                entries.append(delivery.event.data)
            }
        }
        return entries
    }

    @Test("the auth middleware records every write it guards, refused ones included; reads and searches are not")
    func recordsWrites() async throws {
        let issuer = TestIssuer()
        let verifier = TokenVerifier(keySource: nil) { _ in nil }
        try await verifier.load(jwks: issuer.jwks)
        let state = try temporaryDirectory()
        let bus = try SQLiteLogBus(path: state.appendingPathComponent("bus.sqlite").path)
        let subscription = try await bus.subscribe(group: "test", topic: AuditTrail.topic)
        let trail = AuditTrail(service: .tag, bus: bus, logger: quietLogger())
        let settings = try await ServiceSettings.forTesting(.tag, stateDirectory: state)
        let (projectID, experimentID, runID) = (ID.make(), ID.make(), ID.make())
        let app = try PlatformApplication.build(
            info: ServiceInfo(name: .tag, title: "t", summary: "t"), settings: settings, logger: quietLogger(),
            context: AuthRequestContext.self, services: [trail],
            authentication: AuthMiddleware(verifier: verifier, audit: trail)
        ) { api in
            api.post("/v1/experiments/{id}/runs", OperationDoc("create", status: 201, response: Schema.anyObject)) {
                _, _ in
                JSONResponse(
                    ["id": .string(runID), "projectId": .string(projectID), "secret": "s3cr3t"] as JSONValue,
                    status: .created)
            }
            api.delete("/v1/runs/{id}", OperationDoc("delete", status: 204)) { _, _ -> HTTPResponse.Status in
                throw APIError.forbidden("editors only")
            }
            api.post("/v1/runs/search", OperationDoc("search", response: Schema.anyObject)) { _, _ in
                JSONResponse(["items": []] as JSONValue)
            }
            api.get("/v1/runs/{id}", OperationDoc("read", response: Schema.anyObject)) { _, _ in
                JSONResponse([:] as JSONValue)
            }
        }
        let token = try await issuer.token(subject: "u7")
        try await app.test(.router) { client in
            let create = "/v1/experiments/\(experimentID)/runs"
            try await client.execute(
                uri: create, method: .post,
                headers: [
                    .authorization: "Bearer \(token)", .forwardedFor: "10.9.9.9, 203.0.113.7", .requestID: "req-1",
                    .contentType: "application/json",
                ], body: ByteBuffer(string: #"{"password": "hunter2"}"#)
            ) { #expect($0.status == .created) }
            let refused = try await client.call(.delete, "/v1/runs/\(runID)", token: token)
            #expect(refused.status == .forbidden)
            #expect(try await client.call(.post, create, json: "{}").status == .unauthorized)
            #expect(try await client.call(.post, "/v1/runs/search", token: token, json: "{}").status == .ok)
            #expect(try await client.call(.get, "/v1/runs/\(runID)", token: token).status == .ok)

            let entries = try await Self.published(subscription, count: 3)
            #expect(entries.count == 3, "\(entries)")
            let created = try #require(entries.first { $0["status"] == 201 })
            #expect(created["service"] == "tag" && created["method"] == "POST")
            #expect(created["route"] == "/v1/experiments/{id}/runs" && created["path"]?.stringValue == create)
            #expect(created["actor"] == ["kind": "user", "id": "u7", "tokenId": "s1"])
            #expect(created["projectId"]?.stringValue == projectID, "from the answer's projectId")
            #expect(created["entityId"]?.stringValue == runID, "the created run")
            #expect(created["remoteAddress"] == "203.0.113.7", "the hop the gateway appended")
            #expect(created["requestId"] == "req-1" && created["result"] == "ok")
            #expect(!created.jsonText.contains("hunter2") && !created.jsonText.contains("s3cr3t"))
            #expect(created["id"]?.stringValue.map(ID.isValid) == true)

            let denied = try #require(entries.first { $0["status"] == 403 })
            #expect(denied["result"] == "denied" && denied["entityId"]?.stringValue == runID)
            #expect(denied["actor"]?["id"] == "u7")
            let anonymous = try #require(entries.first { $0["status"] == 401 })
            #expect(anonymous["actor"] == ["kind": "anonymous"] && anonymous["result"] == "denied")
        }
    }

    @Test("what jobs and deployments serve is their own traffic, not audited; creating and stopping them is")
    func endpointTrafficIsNotAudited() {
        for route in [
            "/v1/jobs/{id}/endpoint", "/v1/jobs/{id}/endpoint/**", "/v1/deployments/{id}/endpoint/**",
        ] {
            #expect(!AuditTrail.audits(.post, route: route), "\(route)")
        }
        for route in ["/v1/deployments", "/v1/deployments/{id}", "/v1/jobs/{id}/cancel", "/v1/jobs/{id}/endpointless"] {
            #expect(AuditTrail.audits(.delete, route: route), "\(route)")
        }
    }

    @Test("an API token's id is the actor's token id")
    func apiTokenID() async throws {
        let verifier = TokenVerifier(keySource: nil) { _ in
            .init(principal: Principal(id: "u9", kind: .user, credential: .apiToken), tokenID: "t9", expiresAt: nil)
        }
        let principal = try await verifier.authenticate("mlx_good")
        #expect(AuditEntry.Actor(principal) == AuditEntry.Actor(kind: .user, id: "u9", tokenID: "t9"))
        #expect(try await verifier.authenticate("mlx_good").tokenID == "t9", "and from the cache")
    }

    @Test("a full queue drops new entries and counts them; the drain publishes the rest")
    func boundedQueue() async throws {
        let state = try temporaryDirectory()
        let bus = try SQLiteLogBus(path: state.appendingPathComponent("bus.sqlite").path)
        let subscription = try await bus.subscribe(group: "test", topic: AuditTrail.topic)
        let trail = AuditTrail(service: .data, bus: bus, logger: quietLogger(), capacity: 2)
        let entries = (1...3).map { index in
            AuditEntry(
                service: "data", actor: .init(kind: .anonymous), method: "POST", route: "/v1/x", path: "/v1/x",
                status: 400 + index, requestID: "r\(index)")
        }
        entries.forEach(trail.record)
        #expect(trail.pending == 2 && trail.dropped == 1)
        let draining = Task { await trail.run() }
        defer { draining.cancel() }
        let published = try await Self.published(subscription, count: 2)
        #expect(published.compactMap { $0["status"]?.intValue } == [401, 402])
        #expect(published.map { $0["result"] } == ["denied", "failed"])
        #expect(trail.pending == 0)
    }
}
