import ComputeExecutors
import Foundation
import Testing

/// argv that starts a supervisor: `mlex-compute-supervisor`, built next to the test bundle by
/// `swift build --build-tests`.
func testSupervisorCommand() -> [String] {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return [testBinary.deletingLastPathComponent().appendingPathComponent("mlex-compute-supervisor").path]
}

/// Limits roomy enough for the shell and python3 one-liners the tests run.
let roomyLimits = ResourceLimits(cpus: 1, memoryMB: 256, pids: 64)

/// How long any single wait may take before the test fails instead of hanging.
let hangGuard: Duration = .seconds(60)

struct HangGuardTripped: Error, CustomStringConvertible {
    let jobId: String
    var description: String { "job \(jobId) did not end within \(hangGuard)" }
}

/// Runs `body` with an executor on a fresh temporary root, then cancels whatever still runs and
/// deletes the root, whether `body` passed or not.
func withExecutor(_ body: (LocalExecutor) async throws -> Void) async throws {
    let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("mlex-exec-test-\(UUID().uuidString)")
    let executor = try LocalExecutor(root: root, supervisor: testSupervisorCommand())
    do {
        try await body(executor)
    } catch {
        await cleanUp(executor)
        throw error
    }
    await cleanUp(executor)
}

private func cleanUp(_ executor: LocalExecutor) async {
    for id in (try? executor.knownJobs()) ?? [] {
        if executor.result(of: id) == nil { try? await executor.cancel(id) }
        try? executor.remove(id)
    }
    try? FileManager.default.removeItem(at: executor.root)
}

func newJobId() -> String { UUID().uuidString.lowercased() }

/// Prepares and launches a job; `fill` may put files into its work directory first.
@discardableResult
func start(
    _ executor: LocalExecutor,
    _ command: [String],
    limits: ResourceLimits = roomyLimits,
    timeoutSeconds: Int? = nil,
    jobId: String = newJobId(),
    fill: (JobDirectories) throws -> Void = { _ in }
) async throws -> (jobId: String, directories: JobDirectories) {
    let directories = try executor.prepare(jobId: jobId)
    try fill(directories)
    try await executor.launch(SandboxJob(jobId: jobId, command: command, limits: limits, timeoutSeconds: timeoutSeconds))
    return (jobId, directories)
}

/// `executor.wait`, but failing the test after `hangGuard` instead of hanging it.
func finish(_ executor: any Executor, _ jobId: String) async throws -> ExecutionResult {
    try await withThrowingTaskGroup(of: ExecutionResult?.self) { group in
        group.addTask { await executor.wait(for: jobId) }
        group.addTask {
            try await Task.sleep(for: hangGuard)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else { throw HangGuardTripped(jobId: jobId) }
        return first
    }
}

/// Launches, waits, and returns the result with the whole log.
func run(
    _ executor: LocalExecutor,
    _ command: [String],
    limits: ResourceLimits = roomyLimits,
    timeoutSeconds: Int? = nil,
    fill: (JobDirectories) throws -> Void = { _ in }
) async throws -> (result: ExecutionResult, log: String, directories: JobDirectories) {
    let (jobId, directories) = try await start(executor, command, limits: limits, timeoutSeconds: timeoutSeconds, fill: fill)
    let result = try await finish(executor, jobId)
    return (result, try fullLog(executor, jobId), directories)
}

func fullLog(_ executor: any Executor, _ jobId: String) throws -> String {
    var bytes: [UInt8] = []
    var offset: UInt64 = 0
    while true {
        let chunk = try executor.readLog(of: jobId, from: offset, limit: 4096)
        if chunk.bytes.isEmpty { break }
        bytes += chunk.bytes
        offset = chunk.next
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A python3 program as a job command.
func python(_ source: String) -> [String] {
    ["/usr/bin/python3", "-c", source]
}

/// Waits (bounded) until `condition` holds; for states that follow a launch asynchronously.
func eventually(_ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now.advanced(by: hangGuard)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
