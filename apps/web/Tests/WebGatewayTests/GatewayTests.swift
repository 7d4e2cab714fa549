import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Platform
import PlatformTesting
import ServiceLifecycle
import Testing
import WebGateway

/// A real upstream service on a real port that reports what reached it.
func withUpstream<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
    let port = try freePort()
    var settings = try await ServiceSettings.forTesting(.data, stateDirectory: try temporaryDirectory())
    settings.port = port
    let app = try PlatformApplication.build(
        info: ServiceInfo(name: .data, title: "upstream", summary: "echo"), settings: settings,
        logger: quietLogger("upstream")
    ) { api in
        api.get("/v1/echo", OperationDoc("what arrived")) { request, context in
            JSONResponse([
                "path": request.uri.path,
                // Which of the caller's connections it came on: the gateway's pooling shows here.
                "clientPort": String(context.remoteAddress?.port ?? 0),
                "query": request.uri.query ?? "",
                "requestId": request.headers[.requestID] ?? "",
                "forwardedFor": request.headers[.forwardedFor] ?? "",
                "custom": request.headers[HTTPField.Name("X-Custom")!] ?? "",
            ])
        }
        api.post("/v1/upload", OperationDoc("counts and checksums a streamed body")) { request, _ in
            var digest = Checksum()
            for try await chunk in request.body { digest.add(chunk) }
            return JSONResponse(
                ["bytes": digest.count, "checksum": Int(truncatingIfNeeded: digest.value)], status: .created)
        }
        api.get("/v1/cut", OperationDoc("declares 100 bytes, sends 10 and fails")) { _, _ in
            Response(
                status: .ok,
                body: ResponseBody(contentLength: 100) { writer in
                    try await writer.write(ByteBuffer(string: "only ten b"))
                    throw CancellationError()
                })
        }
        api.get("/v1/download", OperationDoc("streams a generated body")) { request, _ in
            let size = request.uri.queryParameters.get("size", as: Int.self) ?? 0
            return Response(
                status: .ok,
                body: ResponseBody(contentLength: size) { writer in
                    var remaining = size
                    while remaining > 0 {
                        let count = min(remaining, 64 * 1024)
                        try await writer.write(ByteBuffer(bytes: generated(count: count, offset: size - remaining)))
                        remaining -= count
                    }
                    try await writer.finish(nil)
                })
        }
    }
    let group = ServiceGroup(configuration: .init(services: [app], logger: quietLogger("upstream")))
    return try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        let result = try await body(port)
        await group.triggerGracefulShutdown()
        for try await _ in tasks {}
        return result
    }
}

/// Position-dependent bytes, so a lost, repeated or reordered chunk changes the checksum.
func generated(count: Int, offset: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        for index in 0..<count {
            buffer[index] = UInt8(truncatingIfNeeded: (index + offset) &* 31 &+ (index + offset) >> 16)
        }
        initialized = count
    }
}

/// FNV-1a over 8-byte words (debug builds are slow per byte): order-sensitive and cheap.
struct Checksum {
    var count = 0
    var value: UInt64 = 1469598103934665603
    private var carry: [UInt8] = []

    mutating func add(_ buffer: ByteBuffer) {
        count += buffer.readableBytes
        carry += buffer.readableBytesView
        let whole = carry.count / 8 * 8
        carry.withUnsafeBytes { raw in
            for index in stride(from: 0, to: whole, by: 8) {
                value = (value ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 1099511628211
            }
        }
        carry.removeFirst(whole)
    }
}

func gateway(upstreamPort: Int) async throws -> some ApplicationProtocol {
    var settings = try await ServiceSettings.forTesting(.web, stateDirectory: try temporaryDirectory())
    settings.peerURLs[.data] = "http://127.0.0.1:\(upstreamPort)"
    settings.peerURLs[.compute] = "http://127.0.0.1:\(try freePort())"  // nobody listens there
    return try Gateway.buildApplication(settings: settings, logger: quietLogger("gateway"))
}

@Suite("Gateway")
struct GatewayTests {
    @Test("strips /api/<service>, keeps the query, passes headers, request id and client address")
    func forwards() async throws {
        try await withUpstream { port in
            try await gateway(upstreamPort: port).test(.live) { client in
                try await client.execute(
                    uri: "/api/data/v1/echo?a=1&b=two", method: .get,
                    headers: [.requestID: "trace-1", HTTPField.Name("X-Custom")!: "kept"]
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.requestID] == "trace-1")
                    let seen = response.body.json
                    #expect(seen["path"] as? String == "/v1/echo")
                    #expect(seen["query"] as? String == "a=1&b=two")
                    #expect(seen["requestId"] as? String == "trace-1")
                    #expect(seen["custom"] as? String == "kept")
                    #expect((seen["forwardedFor"] as? String)?.contains("127.0.0.1") == true)
                }
            }
        }
    }

    @Test("the gateway makes a request id when the client sends none, and the service sees the same one")
    func generatesRequestID() async throws {
        try await withUpstream { port in
            try await gateway(upstreamPort: port).test(.live) { client in
                try await client.execute(uri: "/api/data/v1/echo", method: .get) { response in
                    let id = try #require(response.headers[.requestID])
                    #expect(ID.isValid(id))
                    #expect(response.body.json["requestId"] as? String == id)
                }
            }
        }
    }

    /// Twice the JSON body limit: only streaming gets it through.
    static let largeSize = 8 * 1024 * 1024

    @Test("requests one after another reuse one upstream connection")
    func reusesUpstreamConnection() async throws {
        try await withUpstream { port in
            try await gateway(upstreamPort: port).test(.live) { client in
                var ports: [String] = []
                for _ in 0..<5 {
                    let seen = try await client.execute(uri: "/api/data/v1/echo", method: .get) { response in
                        #expect(response.status == .ok)
                        return response.body.json["clientPort"] as? String ?? ""
                    }
                    ports.append(seen)
                }
                #expect(ports.allSatisfy { $0 != "" && $0 != "0" })
                #expect(Set(ports).count == 1)
            }
        }
    }

    @Test("an upload larger than any body limit streams through intact")
    func streamsUpload() async throws {
        try await withUpstream { port in
            try await gateway(upstreamPort: port).test(.live) { client in
                let payload = ByteBuffer(bytes: generated(count: Self.largeSize, offset: 0))
                var expected = Checksum()
                expected.add(payload)
                // A real streaming client, sending the body in 64 KB chunks.
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(try #require(client.port))/api/data/v1/upload")
                request.method = .POST
                let chunks = stride(from: 0, to: Self.largeSize, by: 65536).map {
                    payload.getSlice(at: $0, length: min(65536, Self.largeSize - $0))!
                }
                request.body = .stream(chunks.async, length: .known(Int64(Self.largeSize)))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                #expect(response.status == .created)
                let body = try await response.body.collect(upTo: 1 << 20)
                #expect(body.json["bytes"] as? Int == Self.largeSize)
                #expect(body.json["checksum"] as? Int == Int(truncatingIfNeeded: expected.value))
            }
        }
    }

    @Test("a large download streams through intact")
    func streamsDownload() async throws {
        try await withUpstream { port in
            try await gateway(upstreamPort: port).test(.live) { client in
                var expected = Checksum()
                expected.add(ByteBuffer(bytes: generated(count: Self.largeSize, offset: 0)))
                try await client.execute(uri: "/api/data/v1/download?size=\(Self.largeSize)", method: .get) {
                    response in
                    #expect(response.status == .ok)
                    var received = Checksum()
                    received.add(response.body)
                    #expect(received.count == Self.largeSize)
                    #expect(received.value == expected.value)
                }
            }
        }
    }

    @Test("an answer the service cuts short is a 502, never a 200 with half a body")
    func cutAnswer() async throws {
        try await withUpstream { port in
            try await gateway(upstreamPort: port).test(.live) { client in
                try await client.execute(uri: "/api/data/v1/cut", method: .get) { response in
                    #expect(response.status == .badGateway)
                    #expect(response.body.apiError["code"] as? String == "bad_gateway")
                }
                // The gateway lives on.
                try await client.execute(uri: "/api/data/v1/echo", method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test("a service that is down is a 502 naming it; an unknown service is a 404")
    func failures() async throws {
        try await withUpstream { port in
            try await gateway(upstreamPort: port).test(.live) { client in
                try await client.execute(uri: "/api/compute/v1/jobs", method: .get) { response in
                    #expect(response.status == .badGateway)
                    #expect(response.body.apiError["code"] as? String == "bad_gateway")
                    #expect(response.body.apiError["field"] as? String == "service")
                    #expect((response.body.apiError["message"] as? String)?.contains("compute") == true)
                }
                try await client.execute(uri: "/api/nonsense/v1/x", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.body.apiError["field"] as? String == "service")
                }
            }
        }
    }

    @Test("the gateway's own document matches its routes and is valid OpenAPI")
    func document() async throws {
        try await expectDocumentMatchesRoutes(try await gateway(upstreamPort: try freePort()))
        let body = try await gateway(upstreamPort: try freePort()).test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { $0.body }
        }
        try validateOpenAPI(body)
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence, for streaming request bodies.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
