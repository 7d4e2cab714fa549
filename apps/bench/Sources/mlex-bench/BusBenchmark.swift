import Bus
import Foundation
import Platform

/// A bus backend: 1 KB events produced and consumed, and how long a published event takes to
/// reach a waiting consumer, in this process and from another connection. Run once per
/// backend (the SQLite log, Kafka) so their tables stand side by side.
struct BusBenchmark {
    let name: String
    let events: Int
    /// A new connection to the same bus each call.
    let open: () throws -> any Bus

    func run() async throws {
        let bus = try open()
        let payload = JSONValue.string(String(repeating: "x", count: 900))  // ~1 KB encoded
        let eventBytes = Int64(try JSONEncoder.api.encode(sample(payload, 0)).count)

        var batched = Measurement(
            name: "publish, batches of 100", bytes: Int64(events) * eventBytes, operations: events / 100)
        var start = ContinuousClock.now
        for batch in 0..<(events / 100) {
            let began = ContinuousClock.now
            try await bus.publish((0..<100).map { sample(payload, batch * 100 + $0) }, to: "bench.batched")
            batched.latencies.append(ContinuousClock.now - began)
        }
        batched.elapsed = ContinuousClock.now - start

        let singles = min(events, 2000)
        var single = Measurement(
            name: "publish, one event (durable each)", bytes: Int64(singles) * eventBytes, operations: singles)
        start = ContinuousClock.now
        for index in 0..<singles {
            let began = ContinuousClock.now
            try await bus.publish([sample(payload, index)], to: "bench.single")
            single.latencies.append(ContinuousClock.now - began)
        }
        single.elapsed = ContinuousClock.now - start

        var consume = Measurement(name: "consume + commit, 500 per poll", bytes: Int64(events) * eventBytes)
        let subscription = try await bus.subscribe(group: "bench", topic: "bench.batched")
        start = ContinuousClock.now
        var received = 0
        while received < events {
            let began = ContinuousClock.now
            // A Kafka consumer first joins its group: the first batch may take a while.
            let deliveries = try await subscription.next(max: 500, wait: .seconds(received == 0 ? 60 : 5))
            guard let last = deliveries.last else { break }
            try await subscription.commit(through: last)
            received += deliveries.count
            consume.latencies.append(ContinuousClock.now - began)
        }
        consume.elapsed = ContinuousClock.now - start
        consume.operations = received

        let local = try await latency(
            name: "publish → consume, same process", publisher: bus, consumer: bus, payload: payload)
        let other = try await latency(
            name: "publish → consume, other connection", publisher: try open(), consumer: bus, payload: payload)

        Table.print(
            title: "Bus (\(name)): \(events) events of \(eventBytes) bytes", rows: [batched, single, consume],
            reference: "first row")
        Table.print(
            title: "Bus (\(name)) latency: 200 events, one at a time", rows: [local, other], reference: "first row")
        print(
            "ops/s (\(name)): batched \(Int(Double(events) / batched.elapsed.seconds)) events/s, single \(Int(Double(singles) / single.elapsed.seconds)) events/s, consumed \(Int(Double(received) / consume.elapsed.seconds)) events/s"
        )
    }

    func sample(_ payload: JSONValue, _ index: Int) -> CloudEvent {
        CloudEvent(
            source: "/mlex/bench", type: "mlex.bench.thing.changed", subject: "thing-\(index % 64)",
            data: ["n": .int(Int64(index)), "payload": payload])
    }

    /// A consumer waits; each publish is timed until that consumer holds the event.
    func latency(name: String, publisher: any Bus, consumer: any Bus, payload: JSONValue) async throws -> Measurement {
        let topic = "bench.latency.\(UUID().uuidString.prefix(8))"
        let subscription = try await consumer.subscribe(group: "latency", topic: topic)
        // One event first: a Kafka consumer joins its group on its first poll, not timed here.
        try await publisher.publish([sample(payload, -1)], to: topic)
        guard try await subscription.next(max: 1, wait: .seconds(30)).count == 1 else {
            throw BusError(.unavailable, "the warm-up event did not arrive")
        }
        var measurement = Measurement(name: name, operations: 200)
        let start = ContinuousClock.now
        for index in 0..<200 {
            async let received = subscription.next(max: 1, wait: .seconds(5))
            try await Task.sleep(for: .milliseconds(2))  // let the consumer start waiting
            let published = ContinuousClock.now
            try await publisher.publish([sample(payload, index)], to: topic)
            guard try await received.count == 1 else { throw BusError(.unavailable, "event \(index) did not arrive") }
            measurement.latencies.append(ContinuousClock.now - published)
        }
        measurement.elapsed = ContinuousClock.now - start
        return measurement
    }
}
