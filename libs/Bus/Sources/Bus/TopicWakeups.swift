import Foundation

/// Wakes waiters in this process when a topic may have news (a publish here, a datagram from
/// another process, an outbox write). Each topic counts its signals: a waiter reads the count
/// before it looks for work and waits only if no signal came since, so a signal that lands
/// between its look and its wait is never lost. (Platform's `Wakeups` has no such count; with
/// a fallback poll of a second instead of 5 ms, that gap would cost up to a second.)
package final class TopicWakeups: @unchecked Sendable {
    private let lock = NSLock()
    private var generations: [String: UInt64] = [:]
    private var waiters: [String: [UInt64: CheckedContinuation<Bool, Never>]] = [:]
    private var nextToken: UInt64 = 0
    /// Waits whose timer fired before their continuation was registered.
    private var expired: Set<UInt64> = []

    package init() {}

    /// How many signals `topic` has had; pass it to `wait(for:after:atMost:)`.
    package func generation(of topic: String) -> UInt64 {
        lock.withLock {
            if let generation = generations[topic] { return generation }
            generations[topic] = 0  // known from now on, so `signalAll` counts it too
            return 0
        }
    }

    package func signal(_ topic: String) {
        let woken = lock.withLock {
            generations[topic, default: 0] &+= 1
            return waiters.removeValue(forKey: topic) ?? [:]
        }
        for continuation in woken.values { continuation.resume(returning: true) }
    }

    /// Every topic anyone here looked at: for news that may have been lost on the way.
    package func signalAll() {
        let woken = lock.withLock {
            for topic in generations.keys { generations[topic]? &+= 1 }
            defer { waiters.removeAll() }
            return waiters.values.flatMap(\.values)
        }
        for continuation in woken { continuation.resume(returning: true) }
    }

    /// Returns true at the first signal for `topic` after generation `seen` (at once if one
    /// already came), false once `duration` has passed or the task is cancelled.
    @discardableResult
    package func wait(for topic: String, after seen: UInt64, atMost duration: Duration) async -> Bool {
        let token = lock.withLock {
            nextToken &+= 1
            return nextToken
        }
        let signalled = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let outcome: Bool? = self.lock.withLock {
                        if self.expired.remove(token) != nil { return false }
                        if self.generations[topic, default: 0] != seen { return true }
                        self.waiters[topic, default: [:]][token] = continuation
                        return nil
                    }
                    if let outcome { continuation.resume(returning: outcome) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: duration)
                return false
            }
            let first = await group.next() ?? false
            expire(topic, token)
            group.cancelAll()
            return first
        }
        lock.withLock { _ = expired.remove(token) }
        return signalled
    }

    private func expire(_ topic: String, _ token: UInt64) {
        let continuation: CheckedContinuation<Bool, Never>? = lock.withLock {
            if let continuation = waiters[topic]?.removeValue(forKey: token) { return continuation }
            expired.insert(token)
            return nil
        }
        continuation?.resume(returning: false)
    }
}

/// How long a poller waits between two looks while it finds nothing: `first`, doubling up to
/// `longest`; back to `first` once it finds something. A poller woken by signals polls only as
/// a fallback, so it need not look often once the system is idle.
package struct PollBackoff: Sendable {
    package let first: Duration
    package let longest: Duration
    private var emptyLooks = 0

    package init(first: Duration, longest: Duration) {
        self.first = Swift.min(first, longest)
        self.longest = longest
    }

    /// The wait after one more look that found nothing.
    package mutating func next() -> Duration {
        defer { emptyLooks = Swift.min(emptyLooks + 1, 40) }
        let doubled = first * (1 << Swift.min(emptyLooks, 30))
        return Swift.min(doubled, longest)
    }

    package mutating func reset() { emptyLooks = 0 }
}
