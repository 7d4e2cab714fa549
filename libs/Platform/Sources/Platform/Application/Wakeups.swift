import Foundation

/// Wakes waiters in this process when something they wait for may have happened (a topic got
/// events, a job was queued), so they need not wait for the next poll. A missed signal costs at
/// most one poll interval, never an event.
public final class Wakeups: @unchecked Sendable {
    private let lock = NSLock()
    private var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]
    /// Waits whose timer fired before their continuation was registered.
    private var expired: Set<UUID> = []

    public init() {}

    public func signal(_ topic: String) {
        let woken = lock.withLock { waiters.removeValue(forKey: topic) ?? [:] }
        for continuation in woken.values { continuation.resume() }
    }

    /// Returns on the next signal for `topic` or after `duration`, whichever comes first.
    public func wait(for topic: String, atMost duration: Duration) async {
        let token = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let alreadyExpired = self.lock.withLock {
                        if self.expired.remove(token) != nil { return true }
                        self.waiters[topic, default: [:]][token] = continuation
                        return false
                    }
                    if alreadyExpired { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: duration) }
            await group.next()  // a signal or the timer, whichever first
            expire(topic, token)
            group.cancelAll()
        }
        lock.withLock { _ = expired.remove(token) }
    }

    private func expire(_ topic: String, _ token: UUID) {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            if let continuation = waiters[topic]?.removeValue(forKey: token) { return continuation }
            expired.insert(token)
            return nil
        }
        continuation?.resume()
    }
}
