import SQLite
import Synchronization

/// Read-only connections beside a store's one writer. SQLite in WAL mode lets any number of
/// readers run while one connection writes, each seeing the last commit when its read begins;
/// with one connection for everything, a search over 100k runs held every metric write behind
/// it for a second. A read borrows an idle connection (opening one, up to `capacity`, when none
/// is idle) or waits for the first one given back, so a slow search never queues a quick
/// read behind it on a connection other connections could serve.
final class ReaderPool: Sendable {
    private struct Reader {
        let database: SQLiteDatabase
        /// The planner statistics it loaded when it opened (`State.statistics`).
        let statistics: Int
    }

    private struct State {
        var idle: [Reader] = []
        var opened = 0
        var waiting: [CheckedContinuation<Reader, any Error>] = []
        /// Bumped when the writer gathers planner statistics. SQLite loads them when a
        /// connection opens, so readers opened before are closed as they come back.
        var statistics = 0
    }

    let path: String
    let capacity: Int
    private let state = Mutex(State())

    init(path: String, capacity: Int) {
        self.path = path
        self.capacity = max(1, capacity)
    }

    /// Runs `body` on a borrowed reader.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let reader = try await borrow()
        defer { giveBack(reader) }
        return try await reader.database.run(body)
    }

    /// The writer gathered new planner statistics: readers opened before are replaced.
    func statisticsChanged() {
        state.withLock { state in
            state.statistics += 1
            state.opened -= state.idle.count
            state.idle.removeAll()
        }
    }

    private func borrow() async throws -> Reader {
        enum Next {
            case ready(Reader)
            case open(statistics: Int)
            case wait
        }
        let next = state.withLock { state -> Next in
            if let reader = state.idle.popLast() { return .ready(reader) }
            if state.opened < capacity {
                state.opened += 1
                return .open(statistics: state.statistics)
            }
            return .wait
        }
        switch next {
        case .ready(let reader):
            return reader
        case .open(let statistics):
            do {
                var options = SQLiteConnection.Options()
                options.readOnly = true
                return Reader(database: try SQLiteDatabase(path: path, options: options), statistics: statistics)
            } catch {
                state.withLock { $0.opened -= 1 }
                throw error
            }
        case .wait:
            return try await withCheckedThrowingContinuation { continuation in
                // Given back between the check above and now? Take it instead of waiting.
                let reader = state.withLock { state -> Reader? in
                    if let reader = state.idle.popLast() { return reader }
                    state.waiting.append(continuation)
                    return nil
                }
                if let reader { continuation.resume(returning: reader) }
            }
        }
    }

    private func giveBack(_ reader: Reader) {
        let waiter = state.withLock { state -> CheckedContinuation<Reader, any Error>? in
            // A waiter takes it even when its statistics are old: one more read with them
            // beats a wait; the reader is replaced when it next comes back unclaimed.
            if !state.waiting.isEmpty { return state.waiting.removeFirst() }
            if reader.statistics == state.statistics {
                state.idle.append(reader)
            } else {
                state.opened -= 1
            }
            return nil
        }
        waiter?.resume(returning: reader)
    }
}
