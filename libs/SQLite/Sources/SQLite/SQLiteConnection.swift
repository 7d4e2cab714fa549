import CSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// One open database connection. Not thread-safe by itself: `SQLiteDatabase` owns one and
/// runs every call on its serial queue. The handle is closed in `deinit`.
public final class SQLiteConnection {
    let handle: OpaquePointer
    /// Prepared statements by SQL text: the same query is compiled once per connection.
    private var statementCache: [String: SQLiteStatement] = [:]

    public struct Options: Sendable {
        /// `FULL` makes each commit durable before it returns (what acknowledged writes need);
        /// `NORMAL` is durable across a process crash but not a power loss.
        public var synchronous: String = "FULL"
        /// How long a writer waits for another process's lock before `busy`.
        public var busyTimeoutMilliseconds: Int32 = 10_000
        public var readOnly = false

        public init() {}
    }

    public init(path: String, options: Options = Options()) throws {
        if !options.readOnly { Self.makePrivate(path) }
        var handle: OpaquePointer?
        let flags =
            (options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw SQLiteError(extendedCode: result, message: "\(message) (\(path))")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, options.busyTimeoutMilliseconds)
        if !options.readOnly {
            // WAL lets readers in other processes proceed while one process writes.
            try execute("PRAGMA journal_mode=WAL")
        }
        try execute("PRAGMA synchronous=\(options.synchronous)")
        try execute("PRAGMA foreign_keys=ON")
    }

    /// Databases hold password hashes, tokens and everyone's records: readable by their owner
    /// only (0600). SQLite would create the file 0644 and gives its -wal and -shm files the
    /// database's own mode, so the database is created (or closed up) first.
    static func makePrivate(_ path: String) {
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else { return }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }  // sqlite3_open_v2 reports why
        fchmod(descriptor, 0o600)
        close(descriptor)
        for suffix in ["-wal", "-shm"] { chmod(path + suffix, 0o600) }
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows of interest.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &message)
        if result != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(extendedCode: result, message: text)
        }
    }

    /// A prepared statement for `sql`, reused across calls (reset and rebound by `bind`).
    /// Callers must finish with one before preparing the same text again.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        if let cached = statementCache[sql] { return cached }
        let statement = try prepareUncached(sql)
        if statementCache.count >= 256 { statementCache.removeAll() }
        statementCache[sql] = statement
        return statement
    }

    func prepareUncached(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else { throw lastError(result) }
        return SQLiteStatement(handle: statement, connection: self)
    }

    /// Runs `sql` with `bindings` and returns every row.
    @discardableResult
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        defer { statement.reset() }
        var rows: [[SQLiteValue]] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    /// `IMMEDIATE` takes the write lock at the start, so two writers never deadlock on upgrade.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// False once SQLite ended the transaction by itself: some errors (a full disk, an I/O
    /// error) roll back the whole transaction, not just the failed statement.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    public var changes: Int { Int(sqlite3_changes64(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func lastError(_ result: Int32) -> SQLiteError {
        SQLiteError(
            extendedCode: sqlite3_extended_errcode(handle) != 0 ? sqlite3_extended_errcode(handle) : result,
            message: String(cString: sqlite3_errmsg(handle)))
    }
}
