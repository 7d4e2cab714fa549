import CRdKafka
import Foundation

/// One record as a consumer receives it.
public struct KafkaMessage: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]
    public let value: [UInt8]
}

/// A consumer-group member with manual commits (`enable.auto.commit=false`): it resumes from
/// the group's last commit, or from the beginning when the group has none. Its calls block,
/// so callers run them off the cooperative pool, one at a time.
public final class KafkaConsumer: @unchecked Sendable {
    // @unchecked: librdkafka allows these calls from any thread; callers never overlap them.
    private let client: OpaquePointer
    private var closed = false

    public init(bootstrapServers: String, group: String, topic: String, settings: [String: String] = [:]) throws {
        let configuration = try makeConfiguration(
            [
                "bootstrap.servers": bootstrapServers, "group.id": group, "enable.auto.commit": "false",
                "auto.offset.reset": "earliest", "enable.partition.eof": "false",
                // The broker answers a fetch as soon as a record arrives or after this: a waiting
                // consumer hears of a publish within it (librdkafka's 500 ms default is slow for
                // events that drive work).
                "fetch.wait.max.ms": "20",
            ].merging(settings) { _, given in given })
        client = try makeClient(RD_KAFKA_CONSUMER, configuration)
        rd_kafka_poll_set_consumer(client)
        let topics = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(topics) }
        rd_kafka_topic_partition_list_add(topics, topic, -1)
        let error = rd_kafka_subscribe(client, topics)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            rd_kafka_destroy(client)
            throw KafkaError(error)
        }
    }

    /// Up to `max` records, waiting at most `timeout` for the first (blocks).
    public func poll(max: Int, timeout: Duration) throws -> [KafkaMessage] {
        var messages: [KafkaMessage] = []
        var wait = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        while messages.count < max, let message = rd_kafka_consumer_poll(client, wait) {
            defer { rd_kafka_message_destroy(message) }
            wait = 0
            let record = message.pointee
            guard record.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                // Transient broker and rebalance notices are retried by librdkafka itself. A member
                // that went longer than max.poll.interval.ms between polls (a slow handler, a busy
                // machine) has left its group; this poll rejoins it, and what it had not committed
                // is delivered again — the at-least-once the Bus promises, not an error to stop on.
                if record.err == RD_KAFKA_RESP_ERR__PARTITION_EOF || record.err == RD_KAFKA_RESP_ERR__TRANSPORT
                    || record.err == RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED
                {
                    continue
                }
                throw KafkaError(record.err)
            }
            messages.append(
                KafkaMessage(
                    topic: String(cString: rd_kafka_topic_name(record.rkt)), partition: record.partition,
                    offset: record.offset,
                    key: record.key.map { Array(UnsafeRawBufferPointer(start: $0, count: record.key_len)) } ?? [],
                    value: record.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: record.len)) } ?? []
                ))
        }
        return messages
    }

    /// Commits that everything up to and including `offset` of `partition` is processed (blocks
    /// until the broker has it).
    public func commit(topic: String, partition: Int32, through offset: Int64) throws {
        let offsets = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(offsets) }
        rd_kafka_topic_partition_list_add(offsets, topic, partition)!.pointee.offset = offset + 1
        let error = rd_kafka_commit(client, offsets, 0)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error) }
    }

    /// Leaves the group at once (so a successor gets the partitions without waiting out the
    /// session timeout) and frees the client.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = rd_kafka_consumer_close(client)
        rd_kafka_destroy(client)
    }

    deinit { close() }
}

extension KafkaProducer {
    /// Creates `topic` through the admin API unless it exists (blocks up to `timeout`), with
    /// `configuration` as its topic-level settings (`retention.ms`, …). A topic that exists keeps
    /// the settings it has.
    public func createTopic(
        _ topic: String, partitions: Int32 = 1, replication: Int32 = 1, configuration: [String: String] = [:],
        timeout: Duration = .seconds(10)
    ) throws {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(topic, partitions, replication, &errorText, errorText.count) else {
            throw KafkaError(message: text(errorText))
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (name, value) in configuration.sorted(by: { $0.key < $1.key }) {
            let error = rd_kafka_NewTopic_set_config(newTopic, name, value)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error) }
        }
        let queue = rd_kafka_queue_new(client)
        defer { rd_kafka_queue_destroy(queue) }
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(client, &topics, 1, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, Int32(timeout.components.seconds * 1000)) else {
            throw KafkaError(message: "the broker did not answer CreateTopics for \(topic)")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rd_kafka_event_error(event)) }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
            let results = rd_kafka_CreateTopics_result_topics(result, &count)
        else { return }
        for index in 0..<count {
            let error = rd_kafka_topic_result_error(results[index])
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                throw KafkaError(error)
            }
        }
    }
}

extension KafkaProducer {
    /// Asks the cluster for its metadata: it answers when a broker is reachable (blocks).
    public func checkReachable(timeout: Duration = .seconds(3)) throws {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(client, 0, nil, &metadata, Int32(timeout.components.seconds * 1000))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error) }
    }
}
