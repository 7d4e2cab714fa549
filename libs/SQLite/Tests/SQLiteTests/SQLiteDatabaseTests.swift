import Foundation
import PlatformTesting
import SQLite
import Testing

@Suite("SQLite wrapper")
struct SQLiteDatabaseTests {
    func database() throws -> SQLiteDatabase {
        try SQLiteDatabase(path: try temporaryDirectory().appendingPathComponent("test.sqlite").path)
    }

    @Test("opens in WAL mode and round-trips every value type")
    func roundTrip() async throws {
        let db = try database()
        let rows = try await db.run { connection in
            try connection.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)")
            try connection.query(
                "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                [.integer(Int64.max), .real(0.25), .text("héllo ✓"), .blob([0, 1, 255]), .null])
            return try connection.query("SELECT i, r, s, b, n FROM t")
        }
        #expect(rows == [[.integer(Int64.max), .real(0.25), .text("héllo ✓"), .blob([0, 1, 255]), .null]])
        let mode = try await db.run { try $0.query("PRAGMA journal_mode")[0][0] }
        #expect(mode == .text("wal"))
    }

    @Test("a database and its WAL files are readable by their owner only, new or left open by an older version")
    func privateFiles() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("users.sqlite").path
        let first = try SQLiteDatabase(path: path)
        try await first.run { try $0.execute("CREATE TABLE t (x)") }
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(try Self.mode(file) == 0o600, "\(file)")
        }
        chmod(path, 0o644)
        chmod(path + "-wal", 0o644)
        _ = try SQLiteDatabase(path: path)
        #expect(try Self.mode(path) == 0o600)
        #expect(try Self.mode(path + "-wal") == 0o600)
    }

    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
    }

    @Test("a unique violation is a typed error")
    func uniqueViolation() async throws {
        let db = try database()
        let error = await #expect(throws: SQLiteError.self) {
            try await db.run { connection in
                try connection.execute("CREATE TABLE u (k TEXT PRIMARY KEY)")
                try connection.query("INSERT INTO u VALUES ('a')")
                try connection.query("INSERT INTO u VALUES ('a')")
            }
        }
        #expect(error?.code == .constraint)
        #expect(error?.isUniqueViolation == true)
    }

    @Test("a throwing transaction leaves nothing behind")
    func rollback() async throws {
        struct Abort: Error {}
        let db = try database()
        try await db.run { try $0.execute("CREATE TABLE t (v INTEGER)") }
        await #expect(throws: Abort.self) {
            try await db.transaction { connection in
                try connection.query("INSERT INTO t VALUES (1)")
                throw Abort()
            }
        }
        let count = try await db.run { try $0.query("SELECT count(*) FROM t")[0][0] }
        #expect(count == .integer(0))
    }

    @Test("malformed SQL is an error, not a crash")
    func malformedSQL() async throws {
        let db = try database()
        let error = await #expect(throws: SQLiteError.self) { try await db.run { try $0.query("SELEC nonsense") } }
        #expect(error?.code == .error)
        #expect(error?.message.contains("syntax") == true)
    }

    @Test("two connections to one file see each other's commits and queue their writes")
    func twoConnections() async throws {
        let path = try temporaryDirectory().appendingPathComponent("shared.sqlite").path
        let first = try SQLiteDatabase(path: path)
        let second = try SQLiteDatabase(path: path)
        try await first.run { try $0.execute("CREATE TABLE t (v INTEGER)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for db in [first, second] {
                group.addTask {
                    for value in 0..<200 {
                        try await db.transaction { try $0.query("INSERT INTO t VALUES (?)", [.integer(Int64(value))]) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await second.run { try $0.query("SELECT count(*) FROM t")[0][0] } == .integer(400))
    }
}
