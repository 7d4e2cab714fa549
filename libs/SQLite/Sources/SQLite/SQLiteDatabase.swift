import Dispatch
import Foundation
import Synchronization

/// The Sendable owner of one connection: every call runs on its own serial queue, off Swift's
/// cooperative pool, and resumes the caller through a continuation.
///
/// ```swift
/// let db = try SQLiteDatabase(path: "data/data.sqlite")
/// let count = try await db.run { try $0.query("SELECT count(*) FROM docs")[0][0].integer }
/// ```
public final class SQLiteDatabase: Sendable {
    private let queue: DispatchQueue
    private let box: ConnectionBox
    /// Transactions waiting for the queue; they commit together (see `transaction`).
    private let waiting = Mutex(WaitingTransactions())
    public let path: String

    public init(path: String, options: SQLiteConnection.Options = .init()) throws {
        self.path = path
        self.queue = DispatchQueue(label: "mlex.sqlite.\(URL(fileURLWithPath: path).lastPathComponent)")
        self.box = ConnectionBox(try SQLiteConnection(path: path, options: options))
    }

    /// Runs `body` with the connection on the database's queue.
    @discardableResult
    public func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [box] in
                continuation.resume(with: Result { try body(box.connection) })
            }
        }
    }

    /// Runs `body` and waits for it, blocking the caller: for set-up before anything is async.
    public func runBlocking<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try queue.sync { try body(box.connection) }
    }

    /// Runs `body` inside an immediate transaction on the database's queue: its writes are
    /// durable when this returns, and none of them happened when it throws.
    ///
    /// Group commit: transactions that queue up while the connection is busy run one after
    /// another inside one `BEGIN IMMEDIATE … COMMIT`, so they share one fsync. Each runs inside
    /// its own savepoint, so one body's error rolls back only that body's writes and reaches only
    /// its caller; every caller resumes only after the shared COMMIT.
    @discardableResult
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let pending = PendingTransaction(
                run: { connection in
                    let value = try body(connection)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) })
            let startsGroup = waiting.withLock { waiting in
                waiting.transactions.append(pending)
                defer { waiting.groupQueued = true }
                return !waiting.groupQueued
            }
            if startsGroup { queue.async { [self] in commitWaitingGroup() } }
        }
    }

    /// Transactions queued for the next group (for tests that build a group).
    var waitingTransactionCount: Int { waiting.withLock { $0.transactions.count } }

    /// On the queue: takes the transactions waiting now and commits them together.
    private func commitWaitingGroup() {
        let (group, more) = waiting.withLock { waiting in
            let group = Array(waiting.transactions.prefix(GroupCommit.maxTransactions))
            waiting.transactions.removeFirst(group.count)
            // Any left beyond the cap form the next group, queued behind whatever else is waiting.
            waiting.groupQueued = !waiting.transactions.isEmpty
            return (group, waiting.groupQueued)
        }
        if more { queue.async { [self] in commitWaitingGroup() } }
        GroupCommit(connection: box.connection).commit(group)
    }
}

/// The transactions queued for the next group, and whether a group is already queued to take them.
private struct WaitingTransactions {
    var transactions: [PendingTransaction] = []
    var groupQueued = false
}

/// The connection crosses to the queue only inside this box; it is used on that queue alone.
private final class ConnectionBox: @unchecked Sendable {
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}
