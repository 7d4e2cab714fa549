import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import PlatformTesting
import Prometheus
import Testing

@testable import Platform

@Suite("Request ids, logging, health, readiness and metrics")
struct OperationsEndpointTests {
    @Test("a caller's X-Request-Id is echoed and carried by every log line of the request")
    func requestIDPropagation() async throws {
        let logs = CapturedLogs()
        let app = try await buildTestApplication(logger: logs.logger)
        try await app.test(.router) { client in
            let body = ByteBuffer(string: #"{"name":"a","priority":"low","resources":{"cpus":1,"memoryMB":1}}"#)
            try await client.execute(uri: "/v1/jobs", method: .post, headers: [.requestID: "req-42"], body: body) {
                response in
                #expect(response.headers[.requestID] == "req-42")
            }
        }
        let lines = logs.records.filter { $0.message == "creating job" || $0.message.hasPrefix("POST /v1/jobs") }
        #expect(lines.count == 2)
        for line in lines {
            #expect(line.metadata["hb.request.id"]?.description == "req-42")
        }
    }

    @Test("without a usable X-Request-Id one is generated and echoed")
    func generatedRequestID() async throws {
        let app = try await buildTestApplication()
        try await app.test(.router) { client in
            for headers: HTTPFields in [
                [:], [.requestID: String(repeating: "x", count: 500)], [.requestID: "has space"],
            ] {
                try await client.execute(uri: "/health", method: .get, headers: headers) { response in
                    #expect(ID.isValid(response.headers[.requestID] ?? ""))
                }
            }
        }
    }

    @Test("JSON log lines carry time, level, message and requestId")
    func jsonLogLines() throws {
        let lines = NIOLockedLines()
        var logger = Logger(label: "mlex.test") { label in JSONLogHandler(label: label, sink: lines.append) }
        logger[metadataKey: "hb.request.id"] = "req-7"
        logger.info("hello", metadata: ["runId": "r1"])
        let line = try #require(lines.values.first)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["requestId"] as? String == "req-7")
        #expect(object["message"] as? String == "hello")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "mlex.test")
        #expect((object["metadata"] as? [String: Any])?["runId"] as? String == "r1")
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
    }

    @Test("health is alive; ready is 200 when every dependency answers")
    func healthAndReady() async throws {
        let app = try await buildTestApplication(readiness: [ReadinessCheck("store") {}, ReadinessCheck("bus") {}])
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["status"] as? String == "alive")
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["checks"] as? [String: String] == ["store": "ok", "bus": "ok"])
            }
        }
    }

    @Test("ready is 503 naming the failing dependency")
    func notReady() async throws {
        struct Unreachable: Error, CustomStringConvertible { var description: String { "connection refused" } }
        let app = try await buildTestApplication(readiness: [
            ReadinessCheck("store") {},
            ReadinessCheck("bus") { throw Unreachable() },
            ReadinessCheck("blobs") { try await Task.sleep(for: .seconds(60)) },
        ])
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.body.json["failing"] as? [String] == ["blobs", "bus"])
                let checks = response.body.json["checks"] as? [String: String]
                #expect(checks?["bus"] == "connection refused")
                #expect(checks?["store"] == "ok")
            }
        }
    }

    @Test("metrics count each request by route, method and status")
    func metricsCountRequests() async throws {
        let registry = PrometheusCollectorRegistry()
        let app = try await buildTestApplication(metrics: registry)
        try await app.test(.router) { client in
            for _ in 0..<3 { try await client.execute(uri: "/health", method: .get) }
            try await client.execute(uri: "/v1/jobs/bad-id", method: .get)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(text.contains(#"http_requests_total{route="/health",method="GET",status="200"} 3"#))
                #expect(text.contains(#"http_requests_total{route="/v1/jobs/{jobId}",method="GET",status="404"} 1"#))
                #expect(text.contains("http_request_duration_seconds_bucket{"))
            }
        }
    }
}

final class NIOLockedLines: Sendable {
    private let storage = NIOLockedValueBox<[String]>([])
    var values: [String] { storage.withLockedValue { $0 } }
    func append(_ line: String) { storage.withLockedValue { $0.append(line) } }
}
