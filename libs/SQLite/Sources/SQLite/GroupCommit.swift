/// One caller's transaction, waiting for its group: `run` runs the body on the connection and
/// returns how to hand its value to the caller (called once the group committed); `fail` hands
/// the caller an error instead.
struct PendingTransaction: Sendable {
    let run: @Sendable (SQLiteConnection) throws -> @Sendable () -> Void
    let fail: @Sendable (any Error) -> Void
}

/// Commits several callers' transactions as one (`SQLiteDatabase.transaction`): one
/// `BEGIN IMMEDIATE … COMMIT`, so one fsync of the WAL, where each would have paid its own.
///
/// Each body runs inside a savepoint: when it throws, only its writes are rolled back and only
/// its caller gets the error. If SQLite rolls back the whole transaction (an I/O error, a full
/// disk) or the COMMIT fails, nothing of the group happened, and each body runs again alone, as
/// it would have without grouping: a body may run more than once, so it touches nothing but the
/// database it is given.
struct GroupCommit {
    /// Enough to share one fsync among every writer of a busy service, few enough that a
    /// reader queued behind the group waits for a bounded amount of work.
    static let maxTransactions = 64

    let connection: SQLiteConnection

    func commit(_ group: [PendingTransaction]) {
        guard group.count > 1 else {
            group.forEach(alone)
            return
        }
        do {
            try statement("BEGIN IMMEDIATE")
        } catch {
            // The write lock stayed with another process past the busy timeout: so would each alone.
            for pending in group { pending.fail(error) }
            return
        }
        var committed: [@Sendable () -> Void] = []
        var refused: [(PendingTransaction, any Error)] = []
        do {
            for pending in group {
                try statement("SAVEPOINT grouped_transaction")
                do {
                    committed.append(try pending.run(connection))
                } catch {
                    // Without a transaction, SQLite rolled back the whole group: handled below.
                    guard connection.isInTransaction else { throw error }
                    try statement("ROLLBACK TO grouped_transaction")
                    refused.append((pending, error))
                }
                try statement("RELEASE grouped_transaction")
            }
            try statement("COMMIT")
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            group.forEach(alone)
            return
        }
        for deliver in committed { deliver() }
        for (pending, error) in refused { pending.fail(error) }
    }

    /// One transaction of its own, as before grouping.
    private func alone(_ pending: PendingTransaction) {
        let deliver: @Sendable () -> Void
        do {
            deliver = try connection.transaction { try pending.run(connection) }
        } catch {
            pending.fail(error)
            return
        }
        deliver()
    }

    /// A fixed statement, prepared once per connection.
    private func statement(_ sql: String) throws {
        try connection.prepare(sql).run()
    }
}
