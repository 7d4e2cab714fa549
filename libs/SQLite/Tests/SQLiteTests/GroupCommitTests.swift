import Dispatch
import Foundation
import PlatformTesting
import Testing

@testable import SQLite

/// `SQLiteDatabase.transaction` commits transactions that queue up together: each body in its
/// own savepoint, each caller resumed only after the shared COMMIT.
@Suite("SQLite group commit")
struct GroupCommitTests {
    /// A database whose queue is held by a blocked call until `release`, so transactions queued
    /// meanwhile all wait for one group.
    final class HeldDatabase: Sendable {
        let database: SQLiteDatabase
        private let gate = DispatchSemaphore(value: 0)

        init(setUp: String) async throws {
            database = try SQLiteDatabase(path: try temporaryDirectory().appendingPathComponent("group.sqlite").path)
            try await database.run { try $0.execute(setUp) }
            await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
                Task { [database, gate] in
                    try await database.run { _ in
                        started.resume()
                        gate.wait()
                    }
                }
            }
        }

        /// Waits until `count` transactions are queued, then lets the queue go.
        func release(whenWaiting count: Int) async {
            while database.waitingTransactionCount < count { await Task.yield() }
            gate.signal()
        }
    }

    enum Outcome: Hashable, Sendable {
        case committed(Int)
        case uniqueViolation
        case foreignKeyViolation
        case other(String)
    }

    /// Runs every body as its own concurrent caller of `transaction`, all in one group.
    func outcomes(
        _ held: HeldDatabase, _ bodies: [@Sendable (SQLiteConnection) throws -> Int]
    ) async -> [Outcome] {
        await withTaskGroup(of: (Int, Outcome).self) { group in
            for (index, body) in bodies.enumerated() {
                group.addTask {
                    do {
                        return (index, .committed(try await held.database.transaction(body)))
                    } catch let error as SQLiteError where error.isUniqueViolation {
                        return (index, .uniqueViolation)
                    } catch let error as SQLiteError where error.message.contains("FOREIGN KEY") {
                        return (index, .foreignKeyViolation)
                    } catch {
                        return (index, .other("\(error)"))
                    }
                }
            }
            await held.release(whenWaiting: bodies.count)
            var outcomes = [Outcome](repeating: .other("not run"), count: bodies.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
    }

    @Test("a unique violation in one grouped transaction rolls back that one alone and reaches only its caller")
    func uniqueViolationInGroup() async throws {
        let held = try await HeldDatabase(setUp: "CREATE TABLE u (k TEXT PRIMARY KEY); INSERT INTO u VALUES ('taken')")
        let bodies: [@Sendable (SQLiteConnection) throws -> Int] = (0..<10).map { index in
            { connection in
                try connection.query("INSERT INTO u VALUES (?)", [.text("first-\(index)")])
                // The sixth writes a row, then collides with one that exists.
                try connection.query("INSERT INTO u VALUES (?)", [.text(index == 5 ? "taken" : "second-\(index)")])
                return index
            }
        }
        let outcomes = await outcomes(held, bodies)
        #expect(outcomes == (0..<10).map { $0 == 5 ? .uniqueViolation : .committed($0) })
        let keys = try await held.database.run { connection in
            try connection.query("SELECT k FROM u ORDER BY k").compactMap { $0[0].text }
        }
        let expected = (0..<10).filter { $0 != 5 }.flatMap { ["first-\($0)", "second-\($0)"] } + ["taken"]
        #expect(keys == expected.sorted(), "the failed body's first row is gone, every other body's rows are kept")
    }

    @Test("later bodies of a group see the writes of earlier ones, as if they ran one after another")
    func bodiesSeeEarlierWrites() async throws {
        let held = try await HeldDatabase(setUp: "CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
        let bodies: [@Sendable (SQLiteConnection) throws -> Int] = (0..<8).map { _ in
            { connection in
                try connection.query("UPDATE counter SET n = n + 1")
                return Int(try connection.query("SELECT n FROM counter")[0][0].integer ?? -1)
            }
        }
        let outcomes = await outcomes(held, bodies)
        #expect(Set(outcomes) == Set((1...8).map(Outcome.committed)))
        #expect(try await held.database.run { try $0.query("SELECT n FROM counter")[0][0] } == .integer(8))
    }

    @Test("when the shared COMMIT fails, each transaction runs again alone: only the guilty one fails")
    func failedCommitFallsBackToSingleTransactions() async throws {
        // A deferred foreign key is checked at COMMIT, so the whole group's COMMIT fails.
        let held = try await HeldDatabase(
            setUp: """
                CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE child (id INTEGER, parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
                INSERT INTO parent VALUES (1);
                """)
        let bodies: [@Sendable (SQLiteConnection) throws -> Int] = (0..<6).map { index in
            { connection in
                try connection.query(
                    "INSERT INTO child VALUES (?, ?)", [.integer(Int64(index)), .integer(index == 2 ? 99 : 1)])
                return index
            }
        }
        let outcomes = await outcomes(held, bodies)
        #expect(outcomes == (0..<6).map { $0 == 2 ? .foreignKeyViolation : .committed($0) })
        let children = try await held.database.run { connection in
            try connection.query("SELECT id FROM child ORDER BY id").compactMap { $0[0].integer }
        }
        #expect(children == [0, 1, 3, 4, 5])
    }

    @Test("a body that throws its own error leaves nothing behind, inside a group as alone")
    func throwingBody() async throws {
        struct Abort: Error {}
        let held = try await HeldDatabase(setUp: "CREATE TABLE t (v INTEGER)")
        let bodies: [@Sendable (SQLiteConnection) throws -> Int] = (0..<4).map { index in
            { connection in
                try connection.query("INSERT INTO t VALUES (?)", [.integer(Int64(index))])
                if index == 0 { throw Abort() }
                return index
            }
        }
        let outcomes = await outcomes(held, bodies)
        #expect(outcomes.first.map { if case .other = $0 { true } else { false } } == true)
        #expect(Array(outcomes.dropFirst()) == [.committed(1), .committed(2), .committed(3)])
        #expect(try await held.database.run { try $0.query("SELECT count(*) FROM t")[0][0] } == .integer(3))
    }
}
