import Dispatch
import Foundation

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

    /// Runs `body` inside an immediate transaction on the database's queue.
    @discardableResult
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await run { connection in try connection.transaction { try body(connection) } }
    }
}

/// The connection crosses to the queue only inside this box; it is used on that queue alone.
private final class ConnectionBox: @unchecked Sendable {
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}
