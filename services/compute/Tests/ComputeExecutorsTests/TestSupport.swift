import ComputeDocker
import ComputeExecutors
import ComputeTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

/// argv that starts a supervisor: `mlex-compute-supervisor`, built next to the test bundle by
/// `swift build --build-tests`.
func testSupervisorCommand() -> [String] {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return [testBinary.deletingLastPathComponent().appendingPathComponent("mlex-compute-supervisor").path]
}

/// Limits roomy enough for the shell and python3 one-liners the tests run.
let roomyLimits = ResourceLimits(cpus: 1, memoryMB: 256, pids: 64, diskMB: 256)

/// How long any single wait may take before the test fails instead of hanging.
let hangGuard: Duration = .seconds(60)

struct HangGuardTripped: Error, CustomStringConvertible {
    let jobId: String
    var description: String { "job \(jobId) did not end within \(hangGuard)" }
}

/// The executors the behaviour suite runs against: each test takes one as its argument.
enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case local, docker
    var description: String { rawValue }
}

/// One executor under test on its own temporary root, with what differs between backends.
struct Harness: Sendable {
    let backend: Backend
    let executor: any Executor
    let root: URL
    let runner: ExecutorRunner

    /// The image jobs name: the docker executor runs images, the local one the host's system.
    var image: String? { backend == .docker ? TestDockerDaemon.image : nil }

    /// A second executor on the same root, as after an agent restart.
    func reopened() async throws -> Harness {
        let executor = try await Self.executor(backend, root: root)
        runner.start(executor)
        return Harness(backend: backend, executor: executor, root: root, runner: runner)
    }

    static func executor(_ backend: Backend, root: URL) async throws -> any Executor {
        switch backend {
        case .local: try LocalExecutor(root: root, supervisor: testSupervisorCommand())
        case .docker:
            try await DockerExecutor(
                root: root, engine: try await TestDockerDaemon.shared.engine(), stopGraceSeconds: 2)
        }
    }

    /// Whether anything of the job is left on the host: its cgroups, or its container.
    func leftovers(of jobId: String) async throws -> Bool {
        switch backend {
        case .local: try CgroupHierarchy.detect().cgroups(for: jobId).exists
        case .docker: try await TestDockerDaemon.shared.engine().state(of: DockerExecutor.containerName(jobId)) != nil
        }
    }
}

/// Runs the background work of the executors a test opens (the Docker executor's followers
/// and container removals), as an agent's service group would, until the test is done.
final class ExecutorRunner: Sendable {
    private let opened = Mutex<[DockerExecutor]>([])
    private let executors: AsyncStream<DockerExecutor>
    private let queue: AsyncStream<DockerExecutor>.Continuation

    init() {
        (executors, queue) = AsyncStream.makeStream()
    }

    func start(_ executor: any Executor) {
        guard let docker = executor as? DockerExecutor else { return }
        opened.withLock { $0.append(docker) }
        queue.yield(docker)
    }

    /// Runs each started executor's work until `shutDown()`.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await executor in executors {
                group.addTask { await executor.run() }
            }
        }
    }

    /// Lets each executor finish the removals it was asked for, then ends `run()`.
    func shutDown() {
        queue.finish()
        for executor in opened.withLock({ $0 }) { executor.shutdown() }
    }
}

/// Runs `body` with an executor on a fresh temporary root, then cancels whatever still runs and
/// deletes the root, whether `body` passed or not.
func withExecutor(_ backend: Backend = .local, _ body: (Harness) async throws -> Void) async throws {
    let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
        "mlex-exec-test-\(UUID().uuidString)")
    let runner = ExecutorRunner()
    let harness = Harness(
        backend: backend, executor: try await Harness.executor(backend, root: root), root: root, runner: runner)
    runner.start(harness.executor)
    async let running: Void = runner.run()
    let outcome: Result<Void, any Error>
    do {
        try await body(harness)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    await cleanUp(harness)
    runner.shutDown()
    await running
    try outcome.get()
}

private func cleanUp(_ harness: Harness) async {
    let executor = harness.executor
    for id in (try? executor.knownJobs()) ?? [] {
        if executor.result(of: id) == nil { try? await executor.cancel(id) }
        try? executor.remove(id)
    }
    try? FileManager.default.removeItem(at: harness.root)
}

func newJobId() -> String { UUID().uuidString.lowercased() }

/// Prepares and launches a job; `fill` may put files into its work directory first.
@discardableResult
func start(
    _ harness: Harness,
    _ command: [String],
    limits: ResourceLimits = roomyLimits,
    timeoutSeconds: Int? = nil,
    environment: [String: String] = [:],
    workers: Int = 1,
    jobId: String = newJobId(),
    fill: (JobDirectories) throws -> Void = { _ in }
) async throws -> (jobId: String, directories: JobDirectories) {
    let directories = try await harness.executor.prepare(jobId: jobId, diskMB: limits.diskMB)
    try fill(directories)
    try await harness.executor.launch(
        SandboxJob(
            jobId: jobId, command: command, environment: environment, limits: limits, timeoutSeconds: timeoutSeconds,
            image: harness.image, workers: workers))
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
    _ harness: Harness,
    _ command: [String],
    limits: ResourceLimits = roomyLimits,
    timeoutSeconds: Int? = nil,
    environment: [String: String] = [:],
    workers: Int = 1,
    fill: (JobDirectories) throws -> Void = { _ in }
) async throws -> (result: ExecutionResult, log: String, directories: JobDirectories) {
    let (jobId, directories) = try await start(
        harness, command, limits: limits, timeoutSeconds: timeoutSeconds, environment: environment, workers: workers,
        fill: fill)
    let result = try await finish(harness.executor, jobId)
    return (result, try fullLog(harness.executor, jobId), directories)
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
func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now.advanced(by: hangGuard)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Bytes a job's directory takes on the host's own filesystem: what its files (its disk's image
/// included) really allocate, without walking into the job's mounted disk.
func hostBytes(of jobId: String, in harness: Harness) -> Int {
    let directory = harness.root.appendingPathComponent(jobId).path
    var top = stat()
    guard stat(directory, &top) == 0 else { return 0 }
    var total = Int(top.st_blocks) * 512
    let walker = FileManager.default.enumerator(atPath: directory)
    while let name = walker?.nextObject() as? String {
        var info = stat()
        guard lstat(directory + "/" + name, &info) == 0 else { continue }
        if info.st_dev != top.st_dev {
            walker?.skipDescendants()
            continue
        }
        total += Int(info.st_blocks) * 512
    }
    return total
}

/// Whether anything is mounted at a path naming `jobId` (its disk, say).
func hasMounts(_ jobId: String) -> Bool {
    (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8))?.contains(jobId) ?? false
}

/// A TCP listener on the host's 127.0.0.1, outside every sandbox.
struct TestListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRNOTAVAIL) }
        self.fd = fd
        self.port = UInt16(bigEndian: address.sin_port)
    }

    func close() { _ = Glibc.close(fd) }
}
