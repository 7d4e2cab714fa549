/// One dependency `/ready` verifies: the store, the bus, the blob store, a peer…
public struct ReadinessCheck: Sendable {
    public let name: String
    public let check: @Sendable () async throws -> Void

    public init(_ name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = check
    }
}

/// The outcome of running every check, concurrently, each bounded by a timeout.
struct ReadinessReport: Codable, Sendable {
    var status: String
    var checks: [String: String]
    var failing: [String]

    static func run(_ checks: [ReadinessCheck], timeout: Duration = .seconds(3)) async -> ReadinessReport {
        let results = await withTaskGroup(of: (String, String?).self) { group in
            for check in checks {
                group.addTask {
                    do {
                        try await withTimeout(timeout) { try await check.check() }
                        return (check.name, nil)
                    } catch {
                        return (check.name, "\(error)")
                    }
                }
            }
            var results: [(String, String?)] = []
            for await result in group { results.append(result) }
            return results
        }
        let failing = results.filter { $0.1 != nil }.map(\.0).sorted()
        return ReadinessReport(
            status: failing.isEmpty ? "ready" : "unavailable",
            checks: Dictionary(uniqueKeysWithValues: results.map { ($0.0, $0.1 ?? "ok") }),
            failing: failing
        )
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    let duration: Duration
    var description: String { "no answer within \(duration)" }
}

/// Runs `operation`, failing with `TimeoutError` if it has not finished within `duration`.
public func withTimeout<T: Sendable>(
    _ duration: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw TimeoutError(duration: duration)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
