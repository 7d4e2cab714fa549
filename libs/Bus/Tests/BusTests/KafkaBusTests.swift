import Bus
import Foundation
import KafkaBus
import Logging
import PlatformTesting
import ServiceLifecycle
import Testing

/// Kafka-only behaviour, in `make test`'s Kafka run (MLEX_TEST_KAFKA=1, docs/kafka.md).
@Suite("Kafka bus", .enabled(if: ProcessInfo.processInfo.environment["MLEX_TEST_KAFKA"] == "1"))
struct KafkaBusTests {
    @Test("as a service it stops cleanly at graceful shutdown, and what it published stays")
    func gracefulShutdown() async throws {
        let bus = try KafkaBus(
            bootstrapServers: try WireServers.kafkaBootstrap(), prefix: "shutdown\(UInt32.random(in: 0...UInt32.max)).",
            consumerSettings: ["session.timeout.ms": "1500", "heartbeat.interval.ms": "300"])
        let group = ServiceGroup(
            services: [bus], gracefulShutdownSignals: [], cancellationSignals: [], logger: quietLogger())
        let running = Task { try await group.run() }
        try await bus.publish((1...100).map { event("k\($0 % 5)", $0) }, to: "mlex.data")
        await group.triggerGracefulShutdown()
        try await running.value
        let received = try await drain(try await bus.subscribe(group: "after", topic: "mlex.data"), count: 100)
        #expect(received.map(\.offset) == Array(1...100))
    }

    @Test("the platform's topics are created with the events' retention as retention.ms")
    func topicsCarryRetention() async throws {
        let bus = try KafkaBus(
            bootstrapServers: try WireServers.kafkaBootstrap(),
            prefix: "retention\(UInt32.random(in: 0...UInt32.max)).",
            retention: EventRetention(age: .seconds(2 * 86400)))
        try await bus.createTopics(Topics.all)
        for topic in Topics.all {
            #expect(try await bus.topicConfiguration(topic)["retention.ms"] == "172800000", "\(topic)")
        }
    }
}
