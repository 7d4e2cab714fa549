import Bus
import Foundation
import HummingbirdTesting
import KafkaBus
import PlatformTesting
import Testing

/// The users service unchanged on Kafka (tansu), in `make test`'s Kafka run (docs/kafka.md).
@Suite("users on Kafka", .enabled(if: ProcessInfo.processInfo.environment["MLEX_TEST_KAFKA"] == "1"))
struct KafkaUsersTests {
    @Test("registering on a service whose bus is Kafka puts user.created on mlex.users")
    func eventsOnKafka() async throws {
        let bootstrap = try WireServers.kafkaBootstrap()
        let prefix = "users\(UInt32.random(in: 0...UInt32.max))."
        let (app, _) = try await usersApp(bus: "kafka://\(bootstrap)/\(prefix)")
        try await app.test(.router) { client in
            try await client.register("ada@lab.example")
            let bus = try KafkaBus(
                bootstrapServers: bootstrap, prefix: prefix,
                consumerSettings: ["session.timeout.ms": "1500", "heartbeat.interval.ms": "300"])
            let subscription = try await bus.subscribe(group: "test", topic: Topics.users)
            var created: [String] = []
            for _ in 0..<20 where created.count < 2 {
                created += try await subscription.next(max: 10, wait: .seconds(3)).map(\.event.type).filter {
                    $0 == "mlex.users.user.created"
                }
            }
            #expect(created.count == 2, "the first administrator and ada")
        }
    }
}
