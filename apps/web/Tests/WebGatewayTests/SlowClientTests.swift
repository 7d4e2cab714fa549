import AsyncHTTPClient
import Foundation
import NIOCore
import Platform
import PlatformTesting
import Testing

/// The real gateway in front of the real users, data and compute processes, fed by clients that
/// send their bodies late, slowly, chunked and big to routes that answer before reading them.
/// Once, one such request killed the gateway (two readers of one body); every exchange here is
/// followed by a health check of the gateway and of data.
@Suite("Gateway and services under slow clients", .serialized)
struct SlowClientTests {
    struct EarlyAnswer: Sendable, CustomStringConvertible {
        let description: String
        let method: String
        /// Under the service's own root (`/v1/…`); the gateway is asked for `/api/data` + this.
        let path: String
        let authorized: Bool
        let contentType: String
        let status: Int
    }

    static let platform = Result { try LocalPlatform.start() }

    /// Routes that answer before, or without, reading the body — and one that reads it all.
    static let answers: [EarlyAnswer] = [
        EarlyAnswer(
            description: "anonymous upload (401)", method: "PUT", path: "/v1/runs/x/files/a", authorized: false,
            contentType: "application/octet-stream", status: 401),
        EarlyAnswer(
            description: "upload to a run that does not exist (404)", method: "PUT", path: "/v1/runs/x/files/a",
            authorized: true, contentType: "application/octet-stream", status: 404),
        EarlyAnswer(
            description: "no such route (404)", method: "POST", path: "/v1/nowhere", authorized: true,
            contentType: "application/json", status: 404),
        EarlyAnswer(
            description: "JSON that is not JSON (400 or 413 by size)", method: "POST", path: "/v1/projects",
            authorized: true, contentType: "application/json", status: 400),
        EarlyAnswer(
            description: "anonymous JSON (401)", method: "POST", path: "/v1/projects", authorized: false,
            contentType: "application/json", status: 401),
    ]

    static func expectedStatus(_ answer: EarlyAnswer, _ delivery: SlowClient.Delivery) -> Int {
        // A JSON body of 5 MB is over the 4 MB JSON limit, declared or streamed.
        answer.status == 400 && delivery.bodySize > HTTPSettings.defaultMaxBodyBytes ? 413 : answer.status
    }

    @Test(
        "each early answer reaches the client through the gateway, and both processes live on", arguments: answers,
        SlowClient.Delivery.allCases)
    func throughGateway(answer: EarlyAnswer, delivery: SlowClient.Delivery) async throws {
        let platform = try Self.platform.get()
        let gateway = try Self.gatewayPort.get()
        let token = try await Self.token.value
        let reply = try await SlowClient.exchange(
            port: gateway, answer.method, "/api/data" + answer.path,
            headers: headers(answer, token: token), delivery: delivery
        )
        #expect(reply.status == Self.expectedStatus(answer, delivery), Comment(rawValue: reply.body))
        try await expectAlive("http://127.0.0.1:\(gateway)", platform.dataURL)
    }

    @Test("each early answer straight from data, which lives on", arguments: answers, SlowClient.Delivery.allCases)
    func straightToData(answer: EarlyAnswer, delivery: SlowClient.Delivery) async throws {
        let platform = try Self.platform.get()
        let token = try await Self.token.value
        let port = try #require(URLComponents(string: platform.dataURL)?.port)
        let reply = try await SlowClient.exchange(
            port: port, answer.method, answer.path, headers: headers(answer, token: token), delivery: delivery)
        #expect(reply.status == Self.expectedStatus(answer, delivery), Comment(rawValue: reply.body))
        try await expectAlive(platform.dataURL)
    }

    @Test(
        "an upstream answering a small body before reading it always reaches the client whole (once 1 in 30 lost its body)"
    )
    func earlyAnswersArriveWhole() async throws {
        _ = try Self.platform.get()
        let gateway = try Self.gatewayPort.get()
        var cut = 0
        for _ in 0..<300 {
            var request = HTTPClientRequest(
                url: "http://127.0.0.1:\(gateway)/api/data/v1/projects/\(ID.make())/experiments")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"name": ""}"#))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 16)
                #expect(response.status.code == 401)
                if body.json["error"] == nil { cut += 1 }
            } catch {
                cut += 1
            }
        }
        #expect(cut == 0, "\(cut) of 300 answers lost their body")
    }

    static let gatewayPort = Result {
        let url = try platform.get().startGateway()
        guard let port = URLComponents(string: url)?.port else { throw POSIXError(.EINVAL) }
        return port
    }

    static let token = Task { try await platform.get().newOwner("slow").token }

    private func headers(_ answer: EarlyAnswer, token: String) -> [String: String] {
        var headers = ["Content-Type": answer.contentType]
        if answer.authorized { headers["Authorization"] = "Bearer \(token)" }
        return headers
    }

    private func expectAlive(_ urls: String...) async throws {
        for url in urls {
            let health = try await withRetries(20) { try await httpCall(url + "/health", "GET", token: nil) }
            #expect(health.status == 200, "\(url) answers its health check")
        }
    }
}
