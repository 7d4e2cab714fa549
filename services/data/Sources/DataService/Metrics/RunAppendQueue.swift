import Synchronization

/// Lets one append at a time into each run, in arrival order. An append reads its series'
/// state and writes the next chunk; two at once into one run collide on the chunk id and the
/// loser retries from fresh state (`MetricSeriesStore.append`). Several workers of a
/// distributed job log into one run at once: serialising them here, in this process, turns
/// those collisions into a short wait. Writers in other processes still meet the retry.
final class RunAppendQueue: Sendable {
    private let waiting = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `body` once every earlier append into `run` has finished.
    func serialized<T: Sendable>(run: String, _ body: () async throws -> T) async throws -> T {
        await enter(run)
        defer { leave(run) }
        return try await body()
    }

    /// A run with an entry is busy; its array holds the appends waiting behind the current one.
    private func enter(_ run: String) async {
        await withCheckedContinuation { continuation in
            let admitted = waiting.withLock { waiting -> Bool in
                guard waiting[run] != nil else {
                    waiting[run] = []
                    return true
                }
                waiting[run]?.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func leave(_ run: String) {
        let next = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard var queue = waiting[run], !queue.isEmpty else {
                waiting[run] = nil
                return nil
            }
            let next = queue.removeFirst()
            waiting[run] = queue
            return next
        }
        next?.resume()
    }
}
