import Foundation
import Platform
import PlatformTesting
import Testing

/// The same flow with every service on Kafka (tansu), in `make test`'s Kafka run (docs/kafka.md):
/// users, data, compute and its agent, tag, mlhub and ingest each a process whose bus is
/// `kafka://…`. Groups take their time to form on tansu, hence the longer patience.
@Suite("ingest → hub → deploy on Kafka", .enabled(if: ProcessInfo.processInfo.environment["MLEX_TEST_KAFKA"] == "1"))
struct KafkaFlowTests {
    @Test(
        "a package is ingested, found, tagged, deployed and counted, every hop through Kafka", .timeLimit(.minutes(6)))
    func modelFlowOnKafka() async throws {
        let bus = "kafka://\(try WireServers.kafkaBootstrap())/flow\(UInt32.random(in: 0...UInt32.max))."
        let cluster = try FlowCluster.start(users: try UsersServer.start(bus: bus), patience: 150)
        try await IngestFlowTests.modelFlow(on: cluster)
    }
}
