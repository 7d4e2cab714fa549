import CMongoC
import NIOPosix
import Platform

/// A pool of libmongoc clients for one deployment and database, owned here and freed in
/// `deinit`. libmongoc blocks, so every call runs on this client's own threads, never on the
/// cooperative pool; each borrows a client from the pool for the call's duration.
public final class MongoClient: @unchecked Sendable {
    // @unchecked: libmongoc documents mongoc_client_pool_t as thread-safe; the URI is read-only
    // after init, and a popped client is used by one thread at a time.
    private let uri: OpaquePointer
    let pool: OpaquePointer
    private let threads: NIOThreadPool
    public let database: String

    private static let initialized: Void = { mongoc_init() }()

    /// `url` is a MongoDB connection string; its path names the database (default `mlex`).
    public init(url: String, threads: Int = 4) throws {
        _ = Self.initialized
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(url, &error) else { throw MongoError(error) }
        guard let pool = mongoc_client_pool_new(uri) else {
            mongoc_uri_destroy(uri)
            throw MongoError(code: 0, message: "libmongoc refused the connection string")
        }
        mongoc_client_pool_set_error_api(pool, Int32(MONGOC_ERROR_API_VERSION_2))
        mongoc_client_pool_set_appname(pool, "mlexchange")
        self.uri = uri
        self.pool = pool
        self.database = mongoc_uri_get_database(uri).map { String(cString: $0) } ?? "mlex"
        self.threads = NIOThreadPool(numberOfThreads: threads)
        self.threads.start()
    }

    deinit {
        threads.shutdownGracefully { _ in }
        mongoc_client_pool_destroy(pool)
        mongoc_uri_destroy(uri)
    }

    /// Runs `body` on one of this client's threads, for calls on handles that already hold a
    /// client (an upload keeps its own across calls).
    func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(body)
    }

    /// Runs `body` on one of this client's threads with a pooled connection.
    func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        // Capturing self keeps the pool alive until the call ends.
        try await threads.runIfActive { [self] in
            let client = mongoc_client_pool_pop(pool)!
            defer { mongoc_client_pool_push(pool, client) }
            return try body(Connection(client: client, database: database))
        }
    }
}

/// One borrowed libmongoc client, valid inside `MongoClient.run`.
struct Connection {
    let client: OpaquePointer
    let database: String

    /// Runs `body` with a handle on `name` in this database.
    func collection<T>(_ name: String, _ body: (OpaquePointer) throws -> T) rethrows -> T {
        let collection = mongoc_client_get_collection(client, database, name)!
        defer { mongoc_collection_destroy(collection) }
        return try body(collection)
    }
}
