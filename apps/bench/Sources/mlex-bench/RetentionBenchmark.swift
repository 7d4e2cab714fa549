import Bus
import Foundation
import Platform

/// The embedded event log under retention: `events` flow through one SQLite log while
/// `groups` consumer groups (each on a connection of its own, as services in other processes)
/// read and commit, and the log is pruned every `interval` of what every group has read and is
/// older than `age`, by the same `SQLiteLogBus.prune` that `EventLogRetention` runs in every
/// service. A row per tenth of the events: the log's file size should stay flat once the first
/// `age` has passed, while it would otherwise grow with every event.
///
/// Time is the retention's injected clock: each published batch moves it one second on, so
/// `age` holds the same number of events however fast this machine publishes (40 s: 20 000
/// events), and the steady state comes within the run. The pruner runs on real time.
struct RetentionBenchmark {
    let directory: URL
    let events: Int
    var groups = 3
    var age: Duration = .seconds(40)
    var interval: Duration = .milliseconds(250)
    /// The publisher waits while the slowest group is this far behind, so the groups keep up.
    var maxLag = 20_000
    var batch = 500

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("bus.sqlite").path
        let clock = BatchClock()
        let retention = EventRetention(age: age, interval: interval) { clock.now }
        let bus = try SQLiteLogBus(path: path, retention: retention)
        let topic = "bench.retention"
        // One batch made once and published again and again: the log neither knows nor cares,
        // and making a million events would cost more than storing them in a debug build.
        let payload = JSONValue.string(String(repeating: "x", count: 100))
        let made = (0..<batch).map { sample(payload, $0) }
        let eventBytes = try JSONEncoder.api.encode(made[0]).count
        let count = events
        let progress = Progress(groups: groups)

        let consumers = Task {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for group in 0..<groups {
                    let reader = try SQLiteLogBus(path: path, retention: retention)
                    tasks.addTask {
                        let subscription = try await reader.subscribe(group: "bench-\(group)", topic: topic)
                        var read = 0
                        while read < count {
                            let deliveries = try await subscription.next(max: 1000, wait: .seconds(1))
                            guard let last = deliveries.last else { continue }
                            try await subscription.commit(through: last)
                            read += deliveries.count
                            progress.read(read, by: group)
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        }
        let pruner = Task {
            var pruned = 0
            while !Task.isCancelled {
                pruned += (try? await bus.prune()) ?? 0
                progress.pruned(pruned)
                try? await Task.sleep(for: interval)
            }
        }

        print("\n## Event log under retention: \(count) events of \(eventBytes) bytes, \(groups) groups reading")
        print(
            "   (retention \(age.components.seconds) s of the batch clock, \(Int(age.components.seconds) * batch) events, pruned every \(interval); without it the log would hold every event, ~\(megabytes(Int64(count * eventBytes))) MB of payload alone)"
        )
        print(
            Table.pad("published", 12) + Table.pad("seconds", 10) + Table.pad("events/s", 11)
                + Table.pad("in log", 10) + Table.pad("pruned", 10) + Table.pad("slowest lag", 13)
                + Table.pad("log MB", 9) + "WAL MB")
        let start = ContinuousClock.now
        var sinceRow = ContinuousClock.now
        var rowStart = 0
        let rowEvery = max(batch, count / 10)
        var published = 0
        while published < count {
            while published - progress.slowest > maxLag { try await Task.sleep(for: .milliseconds(5)) }
            let next = min(batch, count - published)
            try await bus.publish(Array(made.prefix(next)), to: topic)
            clock.tick()
            published += next
            if published % rowEvery == 0 || published == count {
                let now = ContinuousClock.now
                let rate = Double(published - rowStart) / (now - sinceRow).seconds
                print(
                    Table.pad("\(published)", 12) + Table.pad(String(format: "%.1f", (now - start).seconds), 10)
                        + Table.pad(String(format: "%.0f", rate), 11)
                        + Table.pad("\(try await bus.eventCount())", 10) + Table.pad("\(progress.prunedCount)", 10)
                        + Table.pad("\(published - progress.slowest)", 13)
                        + Table.pad(megabytes(fileSize(path)), 9) + megabytes(fileSize(path + "-wal")))
                sinceRow = now
                rowStart = published
            }
        }
        try await consumers.value
        let elapsed = ContinuousClock.now - start
        pruner.cancel()
        await pruner.value
        print(
            "throughput: \(Int(Double(count) / elapsed.seconds)) events/s published and read by each of \(groups) groups, pruning on; \(try await bus.eventCount()) events left in the log"
        )
    }

    func sample(_ payload: JSONValue, _ index: Int) -> CloudEvent {
        CloudEvent(
            source: "/mlex/bench", type: "mlex.bench.thing.changed", subject: "thing-\(index % 64)",
            data: ["n": .int(Int64(index)), "payload": payload])
    }

    func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f", Double(bytes) / 1_048_576)
    }
}

/// What the consumers read and the pruner removed, shared with the publisher.
private final class Progress: @unchecked Sendable {
    // @unchecked: every field is behind `lock`.
    private let lock = NSLock()
    private var positions: [Int]
    private var removed = 0

    init(groups: Int) {
        positions = Array(repeating: 0, count: groups)
    }

    func read(_ count: Int, by group: Int) {
        lock.withLock { positions[group] = count }
    }

    func pruned(_ count: Int) {
        lock.withLock { removed = count }
    }

    var slowest: Int { lock.withLock { positions.min() ?? 0 } }
    var prunedCount: Int { lock.withLock { removed } }
}

/// The benchmark's time: one second per published batch.
private final class BatchClock: @unchecked Sendable {
    // @unchecked: `seconds` is behind `lock`.
    private let lock = NSLock()
    private let start = Date()
    private var seconds = 0.0

    var now: Date { lock.withLock { start.addingTimeInterval(seconds) } }

    func tick() {
        lock.withLock { seconds += 1 }
    }
}
