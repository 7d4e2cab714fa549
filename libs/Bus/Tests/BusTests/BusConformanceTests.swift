import Bus
import Foundation
import KafkaBus
import Platform
import PlatformTesting
import Testing

/// One entry per backend: the Kafka backend joins this suite by adding a line here.
struct BusBackend: Sendable, CustomTestStringConvertible {
    let name: String
    /// Opens the backend on `location`; opening twice on one location is two processes' view.
    let open: @Sendable (URL) async throws -> any Bus
    var testDescription: String { name }

    static let all: [BusBackend] =
        [
            BusBackend(name: "sqlite-log") { try SQLiteLogBus(path: $0.appendingPathComponent("bus.sqlite").path) }
        ] + (ProcessInfo.processInfo.environment["MLEX_TEST_KAFKA"] == "1" ? [kafka] : [])

    /// Only in `make test`'s Kafka run, which puts a librdkafka that can talk to tansu first on
    /// LD_LIBRARY_PATH (docs/kafka.md). A location is a topic prefix on the shared broker.
    static let kafka = BusBackend(name: "kafka (tansu)") { location in
        try KafkaBus(
            bootstrapServers: try WireServers.kafkaBootstrap(), prefix: location.lastPathComponent + ".",
            consumerSettings: [
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000", "max.poll.interval.ms": "6000",
            ]
        )
    }
}

func event(_ subject: String, _ number: Int) -> CloudEvent {
    CloudEvent(
        source: "/mlex/test", type: "mlex.test.thing.changed", subject: subject,
        data: ["n": .int(Int64(number)), "projectId": "p1"])
}

/// Reads until `count` deliveries arrived or nothing more comes within a second.
/// Reads until `count` deliveries arrived, or a minute passed (a hang guard). An empty batch
/// is no reason to stop: a Kafka member may spend seconds in a rebalance before it is given
/// its partition — longer on a busy machine — and polls nothing meanwhile.
func drain(_ subscription: any BusSubscription, count: Int) async throws -> [Delivery] {
    var all: [Delivery] = []
    let deadline = ContinuousClock.now + .seconds(60)
    while all.count < count, ContinuousClock.now < deadline {
        all += try await subscription.next(max: 50, wait: .seconds(1))
    }
    return all
}

@Suite("Bus conformance")
struct BusConformanceTests {
    @Test("events arrive whole and in publish order, offsets gap-free", arguments: BusBackend.all)
    func order(backend: BusBackend) async throws {
        let bus = try await backend.open(try temporaryDirectory())
        let published = (1...30).map { event("run-\($0 % 3)", $0) }
        for batch in stride(from: 0, to: 30, by: 7) {
            try await bus.publish(Array(published[batch..<min(batch + 7, 30)]), to: "mlex.data")
        }
        let subscription = try await bus.subscribe(group: "g", topic: "mlex.data")
        let received = try await drain(subscription, count: 30)
        #expect(received.map(\.event.id) == published.map(\.id))
        #expect(received.map(\.event.data) == published.map(\.data))
        #expect(zip(received, published).allSatisfy { abs($0.event.time.timeIntervalSince($1.time)) < 0.001 })
        #expect(received.map(\.offset) == Array(1...30))
        #expect(received.map(\.key) == published.map(\.subject))
    }

    @Test("every group sees every event; commits are per group", arguments: BusBackend.all)
    func groupsAreIndependent(backend: BusBackend) async throws {
        let bus = try await backend.open(try temporaryDirectory())
        try await bus.publish((1...5).map { event("e", $0) }, to: "mlex.data")
        let first = try await bus.subscribe(group: "mlhub", topic: "mlex.data")
        let firstBatch = try await drain(first, count: 5)
        try await first.commit(through: firstBatch.last!)
        let second = try await bus.subscribe(group: "tag", topic: "mlex.data")
        #expect(try await drain(second, count: 5).count == 5)
        #expect(
            try await bus.subscribe(group: "mlhub", topic: "mlex.data").next(max: 10, wait: .milliseconds(50)).isEmpty)
    }

    @Test("a consumer that stops before committing gets the uncommitted events again", arguments: BusBackend.all)
    func redeliveryAfterCrash(backend: BusBackend) async throws {
        let directory = try temporaryDirectory()
        let bus = try await backend.open(directory)
        try await bus.publish((1...10).map { event("e", $0) }, to: "mlex.compute")
        let consumer = try await bus.subscribe(group: "data", topic: "mlex.compute")
        let batch = try await consumer.next(max: 10, wait: .seconds(5))
        try await consumer.commit(through: batch[3])  // processed 4, then "crashed"

        let restarted = try await backend.open(directory).subscribe(group: "data", topic: "mlex.compute")
        let again = try await drain(restarted, count: 6)
        #expect(again.map(\.offset) == Array(5...10))
    }

    @Test("topics are separate logs", arguments: BusBackend.all)
    func topics(backend: BusBackend) async throws {
        let bus = try await backend.open(try temporaryDirectory())
        try await bus.publish([event("a", 1)], to: "mlex.data")
        try await bus.publish([event("b", 2)], to: "mlex.tags")
        let tags = try await drain(try await bus.subscribe(group: "g", topic: "mlex.tags"), count: 1)
        #expect(tags.map(\.event.subject) == ["b"])
        #expect(tags.first?.offset == 1)
    }

    @Test("a waiting consumer is woken by a publish, from this or another connection", arguments: BusBackend.all)
    func wakeup(backend: BusBackend) async throws {
        let directory = try temporaryDirectory()
        let consumerSide = try await backend.open(directory)
        let producerSide = try await backend.open(directory)
        let subscription = try await consumerSide.subscribe(group: "g", topic: "mlex.users")
        async let received = subscription.next(max: 10, wait: .seconds(30))
        try await Task.sleep(for: .milliseconds(100))
        try await producerSide.publish([event("u", 1)], to: "mlex.users")
        #expect(try await received.map(\.event.subject) == ["u"])
        let waitingLocally = try await consumerSide.subscribe(group: "h", topic: "mlex.models")
        async let local = waitingLocally.next(max: 10, wait: .seconds(30))
        try await Task.sleep(for: .milliseconds(100))
        try await consumerSide.publish([event("m", 1)], to: "mlex.models")
        #expect(try await local.count == 1)
    }

    @Test("bad names and oversized events are typed errors", arguments: BusBackend.all)
    func invalidInput(backend: BusBackend) async throws {
        let bus = try await backend.open(try temporaryDirectory())
        for bad in ["", "has space", "drop;table", String(repeating: "x", count: 201)] {
            let error = await #expect(throws: BusError.self) { try await bus.publish([event("a", 1)], to: bad) }
            #expect(error?.code == .invalidName)
        }
        let groupError = await #expect(throws: BusError.self) {
            try await bus.subscribe(group: "../x", topic: "mlex.data")
        }
        #expect(groupError?.code == .invalidName)
        let huge = CloudEvent(
            source: "/t", type: "t", subject: "s", data: .string(String(repeating: "x", count: 2 << 20)))
        let sizeError = await #expect(throws: BusError.self) {
            try await bus.publish([event("ok", 1), huge], to: "mlex.data")
        }
        #expect(sizeError?.code == .eventTooLarge)
        // Nothing of a refused batch is half-written.
        #expect(try await bus.subscribe(group: "g", topic: "mlex.data").next(max: 10, wait: .milliseconds(50)).isEmpty)
        try await bus.checkReachable()
    }
}

@Suite("SQLite log bus")
struct SQLiteLogBusTests {
    @Test("retention drops events older than the cutoff")
    func retention() async throws {
        let bus = try SQLiteLogBus(path: try temporaryDirectory().appendingPathComponent("bus.sqlite").path)
        try await bus.publish([event("a", 1), event("a", 2)], to: "mlex.data")
        #expect(try await bus.prune(appendedBefore: Date().addingTimeInterval(-60)) == 0)
        #expect(try await bus.prune(appendedBefore: Date().addingTimeInterval(1)) == 2)
        #expect(try await bus.subscribe(group: "g", topic: "mlex.data").next(max: 10, wait: .milliseconds(20)).isEmpty)
        // Offsets continue after pruning, so a group's commit never skips new events.
        try await bus.publish([event("a", 3)], to: "mlex.data")
        #expect(
            try await bus.subscribe(group: "g", topic: "mlex.data").next(max: 10, wait: .seconds(5)).map(\.offset) == [
                3
            ])
    }
}
