import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import PlatformTesting
import ServiceLifecycle
import Testing

@testable import Platform

/// A stand-in for a bus consumer: on graceful shutdown it "commits" what it processed and
/// records when it did, relative to the in-flight request.
final class RecordingConsumer: Service, Sendable {
    let events = NIOLockedValueBox<[String]>([])

    func run() async throws {
        try? await gracefulShutdown()
        events.withLockedValue { $0.append("consumer committed") }
    }
}

/// A one-shot latch a request handler waits on while the test shuts the server down.
final class Gate: Sendable {
    private let entered = AsyncStream<Void>.makeStream()
    private let released = AsyncStream<Void>.makeStream()

    func pass() async {
        entered.continuation.yield()
        for await _ in released.stream { return }
    }

    func waitUntilEntered() async {
        for await _ in entered.stream { return }
    }

    func release() { released.continuation.yield() }
}

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    @Test("shutdown drains the in-flight request, then stops the consumer after it commits", .timeLimit(.minutes(1)))
    func drainsThenStopsConsumers() async throws {
        let consumer = RecordingConsumer()
        let gate = Gate()
        let port = try freePort()
        var settings = try await ServiceSettings.forTesting(.data, stateDirectory: try temporaryDirectory())
        settings.port = port
        let app = try PlatformApplication.build(
            info: ServiceInfo(name: .data, title: "t", summary: "s"), settings: settings,
            logger: quietLogger("test"), services: [consumer]
        ) { api in
            api.get("/v1/slow", OperationDoc("slow")) { _, _ in
                await gate.pass()
                consumer.events.withLockedValue { $0.append("request finished") }
                return "finished"
            }
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: quietLogger("test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let response = Task {
                try await withRetries {
                    try await HTTPClient.shared.execute(
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/slow"), timeout: .seconds(30))
                }
            }
            await gate.waitUntilEntered()
            await group.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(200))
            gate.release()
            let answer = try await response.value
            #expect(answer.status.code == 200)
            #expect(String(buffer: try await answer.body.collect(upTo: 1024)) == "finished")
            try await tasks.waitForAll()
        }
        #expect(consumer.events.withLockedValue { $0 } == ["request finished", "consumer committed"])
    }
}
