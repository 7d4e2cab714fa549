import Foundation
import PlatformTesting
import Testing

@testable import Bus

/// The SQLite log's cross-process wake-up (`LogDoorbell`): a publish sends the topic to every
/// other socket beside the log, a dead process's socket is removed, and a bus that cannot have a
/// socket still works by polling. Each wait here is a hang guard, never a timing assertion.
@Suite("SQLite log doorbell")
struct LogDoorbellTests {
    @Test("a publish sends the topic's name to every other process's socket")
    func publishRingsOtherSockets() async throws {
        let path = try temporaryDirectory().appendingPathComponent("bus.sqlite").path
        let bus = try SQLiteLogBus(path: path)
        let other = try DatagramSocket(bindingTo: path + ".wake/424242-other.sock")
        try await bus.publish([event("a", 1)], to: "mlex.data")
        #expect(other.receive() == "mlex.data")
    }

    @Test("the socket of a process that is gone is removed by the next publish; live ones stay")
    func staleSocketsAreRemoved() async throws {
        let path = try temporaryDirectory().appendingPathComponent("bus.sqlite").path
        let bus = try SQLiteLogBus(path: path)
        let listening = try SQLiteLogBus(path: path)
        let stale = path + ".wake/424242-gone.sock"
        try DatagramSocket(bindingTo: stale).closeSocket()
        #expect(FileManager.default.fileExists(atPath: stale))

        try await bus.publish([event("a", 1)], to: "mlex.data")
        #expect(!FileManager.default.fileExists(atPath: stale))
        let live = try #require(listening.doorbell.ownName)
        #expect(FileManager.default.fileExists(atPath: path + ".wake/" + live))
        #expect(bus.doorbell.ownName.map { FileManager.default.fileExists(atPath: path + ".wake/" + $0) } == true)
    }

    @Test("a publish on one connection wakes the topic on another, whose own poll is a minute away")
    func publishWakesAnotherConnection() async throws {
        let path = try temporaryDirectory().appendingPathComponent("bus.sqlite").path
        let publisher = try SQLiteLogBus(path: path)
        let consumer = try SQLiteLogBus(path: path, pollInterval: .seconds(60), maxPollInterval: .seconds(60))
        let seen = consumer.wakeups.generation(of: "mlex.data")
        try await publisher.publish([event("a", 1)], to: "mlex.data")
        #expect(await consumer.wakeups.wait(for: "mlex.data", after: seen, atMost: .seconds(30)))
        let subscription = try await consumer.subscribe(group: "g", topic: "mlex.data")
        #expect(try await subscription.next(max: 10, wait: .seconds(30)).map(\.offset) == [1])
    }

    @Test("a bus that cannot have a socket still delivers, by polling")
    func withoutSocketsItPolls() async throws {
        let path = try temporaryDirectory().appendingPathComponent("bus.sqlite").path
        // A file where the socket directory would go.
        #expect(FileManager.default.createFile(atPath: path + ".wake", contents: Data()))
        let publisher = try SQLiteLogBus(path: path)
        let consumer = try SQLiteLogBus(path: path, maxPollInterval: .milliseconds(20))
        #expect(consumer.doorbell.ownName == nil)
        let subscription = try await consumer.subscribe(group: "g", topic: "mlex.data")
        #expect(try await subscription.next(max: 10, wait: .zero).isEmpty)
        try await publisher.publish([event("a", 1)], to: "mlex.data")
        var received: [Delivery] = []
        for _ in 0..<30 where received.isEmpty {
            received = try await subscription.next(max: 10, wait: .seconds(1))
        }
        #expect(received.map(\.offset) == [1])
    }
}

@Suite("Topic wake-ups")
struct TopicWakeupsTests {
    @Test("a signal that comes between a look and the wait ends the wait at once")
    func signalBeforeWaitIsKept() async {
        let wakeups = TopicWakeups()
        let seen = wakeups.generation(of: "t")
        wakeups.signal("t")
        #expect(await wakeups.wait(for: "t", after: seen, atMost: .seconds(60)))
        #expect(!(await wakeups.wait(for: "t", after: wakeups.generation(of: "t"), atMost: .milliseconds(1))))
    }

    @Test("signalAll wakes every topic looked at, and a waiter already waiting")
    func signalAllWakesEveryTopic() async {
        let wakeups = TopicWakeups()
        let seenA = wakeups.generation(of: "a")
        let seenB = wakeups.generation(of: "b")
        async let woken = wakeups.wait(for: "a", after: seenA, atMost: .seconds(60))
        wakeups.signalAll()
        #expect(await woken)
        #expect(await wakeups.wait(for: "b", after: seenB, atMost: .seconds(60)))
    }

    @Test("the poll interval doubles up to its longest and starts again after a find")
    func backoffDoublesAndResets() {
        var backoff = PollBackoff(first: .milliseconds(5), longest: .milliseconds(30))
        #expect((0..<5).map { _ in backoff.next() } == [5, 10, 20, 30, 30].map { Duration.milliseconds($0) })
        backoff.reset()
        #expect(backoff.next() == .milliseconds(5))
    }
}

/// A Unix datagram socket bound at a path, standing in for another process's doorbell.
final class DatagramSocket {
    let descriptor: Int32

    init(bindingTo path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        // A hang guard for `receive`, not a timing assertion.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8.prefix($0.count - 1)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard descriptor >= 0, bound == 0 else {
            throw BusError(.unavailable, "cannot bind \(path): errno \(errno)")
        }
    }

    private var isOpen = true

    deinit { closeSocket() }

    /// Closes it and leaves its file, as a process that was killed does.
    func closeSocket() {
        if isOpen { close(descriptor) }
        isOpen = false
    }

    /// The next datagram's text, or nil after the hang guard.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
