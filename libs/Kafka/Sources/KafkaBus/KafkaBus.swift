import Bus
import Foundation
import Kafka
import NIOPosix
import Platform
import ServiceLifecycle
import Synchronization

/// `Bus` on Kafka through librdkafka. Each topic has one partition by default, which is what
/// gives the Bus its promises (publish order across keys, gap-free offsets from 1); more
/// partitions spread load but keep order only per key. Topics are created through the admin
/// API on first use, named `<prefix><topic>`, with `retention.ms` from `retention` (the broker
/// drops older events, read or not). Events travel as CloudEvents JSON, keyed by their subject.
public final class KafkaBus: Bus {
    let bootstrapServers: String
    let prefix: String
    let producer: KafkaProducer
    let consumerSettings: [String: String]
    let partitions: Int32
    let replication: Int32
    let maxEventBytes: Int
    public let retention: EventRetention
    /// Consumers block in poll: they wait on these threads, never on the cooperative pool.
    let threads: NIOThreadPool
    private let created = Mutex<Set<String>>([])

    public init(
        bootstrapServers: String, prefix: String = "", partitions: Int32 = 1, replication: Int32 = 1,
        consumerSettings: [String: String] = [:], maxEventBytes: Int = 1 << 20, retention: EventRetention = .standard
    ) throws {
        self.bootstrapServers = bootstrapServers
        self.prefix = prefix
        self.partitions = partitions
        self.replication = replication
        self.consumerSettings = consumerSettings
        self.maxEventBytes = maxEventBytes
        self.retention = retention
        do {
            producer = try KafkaProducer(bootstrapServers: bootstrapServers)
        } catch let error as KafkaError {
            throw BusError(.unavailable, error.description)
        }
        threads = NIOThreadPool(numberOfThreads: 8)
        threads.start()
    }

    deinit {
        threads.shutdownGracefully { _ in }
    }

    public func publish(_ events: [CloudEvent], to topic: String) async throws {
        try BusError.checkName(topic, field: "topic")
        let messages = try events.map { event -> (key: [UInt8], value: [UInt8]) in
            let value = Array(event.json.jsonText.utf8)
            guard value.count <= maxEventBytes else {
                throw BusError(
                    .eventTooLarge, "event \(event.id) is \(value.count) bytes; the limit is \(maxEventBytes)")
            }
            return (Array(event.subject.utf8), value)
        }
        try await ensure(topic)
        do {
            _ = try await producer.send(messages, to: prefix + topic)
        } catch let error as KafkaError {
            throw BusError(.unavailable, error.description)
        }
    }

    public func subscribe(group: String, topic: String) async throws -> any BusSubscription {
        try BusError.checkName(group, field: "group")
        try BusError.checkName(topic, field: "topic")
        try await ensure(topic)
        let consumer = try await blocking { [self] in
            try KafkaConsumer(
                bootstrapServers: bootstrapServers, group: prefix + group, topic: prefix + topic,
                settings: consumerSettings)
        }
        return KafkaSubscription(bus: self, topic: topic, consumer: consumer)
    }

    public func checkReachable() async throws {
        try await blocking { [producer] in try producer.checkReachable() }
    }

    /// Creates `topics` now (with the bus's partitions and replication) unless they exist: a
    /// service calls it at start for the platform's topics.
    public func createTopics(_ topics: [String]) async throws {
        for topic in topics {
            try BusError.checkName(topic, field: "topic")
            try await ensure(topic)
        }
    }

    /// The broker's settings for `topic` (`retention.ms` among them), for administrators and tests.
    public func topicConfiguration(_ topic: String) async throws -> [String: String] {
        try await blocking { [self] in try producer.topicConfiguration(prefix + topic) }
    }

    /// Creates `topic` once per process (the admin call answers "exists" after that).
    private func ensure(_ topic: String) async throws {
        guard !created.withLock({ $0.contains(topic) }) else { return }
        try await blocking { [self] in
            try producer.createTopic(
                prefix + topic, partitions: partitions, replication: replication,
                configuration: ["retention.ms": String(retention.age.components.seconds * 1000)])
        }
        _ = created.withLock { $0.insert(topic) }
    }

    /// Runs a blocking librdkafka call on the bus's threads; its errors become `BusError`.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await threads.runIfActive(body)
        } catch let error as KafkaError {
            throw BusError(.unavailable, error.description)
        }
    }
}

/// One consumer-group member on one topic; `next` and `commit` are called one at a time.
final class KafkaSubscription: BusSubscription, @unchecked Sendable {
    // @unchecked: `partitions` is guarded by its lock; the consumer is used by one call at a time.
    let bus: KafkaBus
    let topic: String
    let consumer: KafkaConsumer
    /// Which partition each handed-out offset came from, for `commit`.
    private let partitions = Mutex<[Int64: Int32]>([:])

    init(bus: KafkaBus, topic: String, consumer: KafkaConsumer) {
        self.bus = bus
        self.topic = topic
        self.consumer = consumer
    }

    func next(max: Int, wait: Duration) async throws -> [Delivery] {
        let records = try await bus.blocking { [consumer] in try consumer.poll(max: max, timeout: wait) }
        return try records.map { record in
            let event = try CloudEvent(json: try JSONValue.parse(String(decoding: record.value, as: UTF8.self)))
            partitions.withLock { $0[record.offset + 1] = record.partition }
            return Delivery(
                topic: topic, offset: record.offset + 1, key: String(decoding: record.key, as: UTF8.self), event: event)
        }
    }

    func commit(through delivery: Delivery) async throws {
        let partition = partitions.withLock { table in
            let partition = table[delivery.offset] ?? 0
            table = table.filter { $0.key > delivery.offset }
            return partition
        }
        try await bus.blocking { [consumer, topic = bus.prefix + topic] in
            try consumer.commit(topic: topic, partition: partition, through: delivery.offset - 1)
        }
    }
}

/// In a service's `ServiceGroup`, the bus outlives the HTTP server and the consumers (listed
/// after them, it stops after them) and, at shutdown, flushes what is still being produced
/// before the process exits. Consumers commit what they processed themselves (`EventConsumer`),
/// and leave their group when released.
extension KafkaBus: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            threads.submit { _ in
                self.producer.close()
                done.resume()
            }
        }
    }
}
