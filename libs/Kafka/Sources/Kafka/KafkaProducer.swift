import CRdKafka
import Foundation
import Synchronization

/// An idempotent producer (`enable.idempotence`, `acks=all`): `send` returns once the broker has
/// every message durably, with their offsets; a message the broker refused is a `KafkaError`.
/// librdkafka reports deliveries on whichever thread calls `rd_kafka_poll`: this producer's own.
public final class KafkaProducer: @unchecked Sendable {
    // @unchecked: librdkafka's producer handle is thread-safe; topic handles are guarded below.
    let client: OpaquePointer
    private let topics = Mutex<[String: OpaquePointer]>([:])
    private let running = RunFlag()
    private let pollThread: Thread

    public init(bootstrapServers: String, settings: [String: String] = [:]) throws {
        let configuration = try makeConfiguration(
            [
                "bootstrap.servers": bootstrapServers, "enable.idempotence": "true", "acks": "all", "linger.ms": "2",
            ].merging(settings) { _, given in given })
        rd_kafka_conf_set_dr_msg_cb(configuration, deliveryReport)
        let client = try makeClient(RD_KAFKA_PRODUCER, configuration)
        self.client = client
        nonisolated(unsafe) let handle = client
        let running = self.running
        pollThread = Thread {
            while running.value.load(ordering: .acquiring) { rd_kafka_poll(handle, 50) }
        }
        pollThread.name = "kafka-producer-poll"
        pollThread.start()
    }

    /// Sends `messages` to partition `partition` of `topic` in order; their offsets, once durable.
    public func send(
        _ messages: [(key: [UInt8], value: [UInt8])], to topic: String, partition: Int32 = 0
    ) async throws -> [Int64] {
        guard !messages.isEmpty else { return [] }
        let handle = try topicHandle(topic)
        let tracker = DeliveryTracker(count: messages.count)
        return try await withCheckedThrowingContinuation { continuation in
            tracker.start(continuation)
            for (index, message) in messages.enumerated() {
                let token = Unmanaged.passRetained(DeliveryToken(tracker: tracker, index: index)).toOpaque()
                while true {
                    let queued = message.value.withUnsafeBytes { value in
                        message.key.withUnsafeBytes { key in
                            rd_kafka_produce(
                                handle, partition, RD_KAFKA_MSG_F_COPY,
                                UnsafeMutableRawPointer(mutating: value.baseAddress), value.count, key.baseAddress,
                                key.count, token)
                        }
                    }
                    if queued == 0 { break }
                    let error = rd_kafka_last_error()
                    if error == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                        usleep(1000)
                        continue
                    }
                    Unmanaged<DeliveryToken>.fromOpaque(token).release()
                    tracker.report(index: index, offset: -1, error: KafkaError(error))
                    break
                }
            }
        }
    }

    /// Waits until everything sent is delivered (at most `timeout`), then stops polling.
    public func close(timeout: Duration = .seconds(10)) {
        guard running.value.load(ordering: .acquiring) else { return }
        _ = rd_kafka_flush(client, Int32(timeout.components.seconds * 1000))
        running.value.store(false, ordering: .releasing)
        while !pollThread.isFinished { usleep(1000) }
    }

    deinit {
        close()
        for handle in topics.withLock({ Array($0.values) }) { rd_kafka_topic_destroy(handle) }
        rd_kafka_destroy(client)
    }

    private func topicHandle(_ name: String) throws -> OpaquePointer {
        try topics.withLock { handles in
            if let handle = handles[name] { return handle }
            guard let handle = rd_kafka_topic_new(client, name, nil) else { throw KafkaError(rd_kafka_last_error()) }
            handles[name] = handle
            return handle
        }
    }
}

/// Whether a polling thread should go on (shared with it, so a class).
final class RunFlag: Sendable {
    let value = Atomic<Bool>(true)
}

/// Collects the delivery reports of one `send` and resumes it when the last arrives.
final class DeliveryTracker: @unchecked Sendable {
    // @unchecked: every field is behind `state`'s lock.
    private struct State {
        var remaining: Int
        var offsets: [Int64]
        var error: KafkaError?
        var continuation: CheckedContinuation<[Int64], any Error>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(remaining: count, offsets: Array(repeating: -1, count: count)))
    }

    func start(_ continuation: CheckedContinuation<[Int64], any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func report(index: Int, offset: Int64, error: KafkaError?) {
        let finished: (CheckedContinuation<[Int64], any Error>, Result<[Int64], any Error>)? = state.withLock { state in
            state.offsets[index] = offset
            if let error, state.error == nil { state.error = error }
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.error.map { .failure($0) } ?? .success(state.offsets))
        }
        if let (continuation, result) = finished { continuation.resume(with: result) }
    }
}

final class DeliveryToken {
    let tracker: DeliveryTracker
    let index: Int

    init(tracker: DeliveryTracker, index: Int) {
        self.tracker = tracker
        self.index = index
    }
}

/// librdkafka's delivery report: one per message, on the polling thread.
private let deliveryReport:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        _, message, _ in
        guard let message, let opaque = message.pointee._private else { return }
        let token = Unmanaged<DeliveryToken>.fromOpaque(opaque).takeRetainedValue()
        let error = message.pointee.err
        token.tracker.report(
            index: token.index, offset: message.pointee.offset,
            error: error == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(error))
    }
