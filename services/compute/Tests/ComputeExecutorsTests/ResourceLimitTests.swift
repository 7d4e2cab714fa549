import ComputeExecutors
import Foundation
import Testing

/// Serialized so the CPU measurement is not squeezed by the other limit tests' jobs.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ResourceLimitTests {
    @Test(arguments: Backend.allCases) func allocatingPastTheMemoryLimitIsOOMKilled(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let limits = ResourceLimits(cpus: 1, memoryMB: 64, pids: 64)
            // Touch every page: an untouched bytearray may never be charged to the cgroup. The
            // pause first lets Docker's stats (one a second) sample the job before it dies, so
            // both executors must report a peak.
            let (result, log, _) = try await run(
                harness,
                python(
                    """
                    import time
                    time.sleep(2.5)
                    b = bytearray(200 * 1024 * 1024)
                    for i in range(0, len(b), 4096):
                        b[i] = 1
                    print("survived", flush=True)
                    """), limits: limits)
            #expect(result.reason == .oomKilled, "\(result)")
            #expect(!log.contains("survived"))
            let peak = try #require(result.usage, "\(backend) reports usage").memoryPeakBytes
            #expect(peak <= 64 * 1024 * 1024)
            // The cgroup's own high-water mark saw the allocation reach the limit; Docker's
            // samples, a second apart, may only have seen the pause.
            if backend == .local { #expect(peak >= 32 * 1024 * 1024, "\(peak)") }
        }
    }

    /// /output and /tmp share the job's disk: writing past it through either ends the job
    /// `diskLimit`, and the host gave it no more than its size.
    @Test(arguments: [Backend.local, .docker].flatMap { backend in ["/output", "/tmp"].map { (backend, $0) } })
    func writingPastTheDiskLimitEndsWithDiskLimit(_ backend: Backend, _ directory: String) async throws {
        try await withExecutor(backend) { harness in
            let limits = ResourceLimits(cpus: 1, memoryMB: 256, pids: 64, diskMB: 64)
            let (jobId, _) = try await start(
                harness,
                python(
                    """
                    chunk = b"x" * (1 << 20)
                    with open("\(directory)/big", "wb") as f:
                        for _ in range(200):
                            f.write(chunk)
                    print("survived", flush=True)
                    """), limits: limits)
            let result = try await finish(harness.executor, jobId)
            let log = try fullLog(harness.executor, jobId)
            #expect(result.reason == .diskLimit, "\(result) \(log)")
            #expect(log.contains("No space left on device") && !log.contains("survived"), "\(log)")
            let used = hostBytes(of: jobId, in: harness)
            #expect(used <= 66 << 20, "the job's directory takes \(used >> 20) MB of the host's disk")
        }
    }

    @Test(arguments: Backend.allCases) func aFailureWithRoomLeftOnTheDiskIsNoDiskLimit(_ backend: Backend) async throws
    {
        try await withExecutor(backend) { harness in
            let limits = ResourceLimits(cpus: 1, memoryMB: 256, pids: 64, diskMB: 64)
            let (result, log, _) = try await run(
                harness,
                python(
                    """
                    with open("/output/some", "wb") as f:
                        f.write(b"x" * (8 << 20))
                    raise SystemExit(4)
                    """), limits: limits)
            #expect(result.reason == .exited && result.exitCode == 4, "\(result) \(log)")
        }
    }

    @Test(arguments: Backend.allCases) func halfACPUGetsAboutHalfTheWallClock(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let limits = ResourceLimits(cpus: 0.5, memoryMB: 256, pids: 64)
            let (result, _, _) = try await run(
                harness,
                python(
                    """
                    import time
                    end = time.monotonic() + 3
                    while time.monotonic() < end:
                        pass
                    """), limits: limits)
            #expect(result.reason == .exited && result.exitCode == 0, "\(result)")
            let wall = result.endedAt.timeIntervalSince(result.startedAt)
            let share = (result.usage?.cpuSeconds ?? 0) / wall
            // The quota is a ceiling the kernel enforces (never above half, give or take a
            // period); below it the job gets what a busy machine leaves, so the floor only shows
            // that it ran.
            #expect(share > 0.1 && share < 0.6, "cpu \(result.usage?.cpuSeconds ?? 0) s over \(wall) s wall")
        }
    }

    @Test(arguments: Backend.allCases) func forkingPastThePidLimitFails(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let limits = ResourceLimits(cpus: 1, memoryMB: 256, pids: 32)
            // Children sleep so they all stay alive; forks past the limit raise EAGAIN.
            let (result, log, _) = try await run(
                harness,
                python(
                    """
                    import os, time
                    children, refused = [], 0
                    for _ in range(100):
                        try:
                            pid = os.fork()
                        except BlockingIOError:
                            refused += 1
                            continue
                        if pid == 0:
                            time.sleep(60)
                            os._exit(0)
                        children.append(pid)
                    print(f"forked={len(children)} refused={refused}", flush=True)
                    for pid in children:
                        os.kill(pid, 9)
                        os.waitpid(pid, 0)
                    """), limits: limits)
            #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log)")
            let counts = try #require(log.firstMatch(of: /forked=(\d+) refused=(\d+)/))
            let forked = try #require(Int(counts.1))
            let refused = try #require(Int(counts.2))
            // python itself is alive too, plus bwrap's monitor and namespace init.
            #expect(forked + 1 < 32)
            #expect(refused > 0)
            #expect(forked + refused == 100)
            // The kernel's own high-water mark, where it keeps one.
            #expect((result.usage?.pids ?? 0) <= 32)
        }
    }
}
