import ComputeExecutors
import ComputeWire
import Foundation
import Synchronization

/// Follows one job's container from launch (or re-attach) to its end: appends its output to
/// the job's log file, keeps the latest stats, kills it at its timeout, and when it stops
/// writes the job's status and removes the container. Everything it needs is in the job
/// directory and the daemon, so a follower started by a new executor resumes where an old one
/// stopped: the log is replayed from the container's start, skipping what the file has.
///
/// Nothing starts on creation: its owner (`DockerExecutor.run()`) awaits `run()` in a task
/// group, so a follower never outlives the executor that made it.
final class ContainerFollower: Sendable {
    /// The latest stats sample, shared with the task that takes them.
    final class LatestUsage: Sendable {
        let value = Mutex<ResourceUsage?>(nil)
    }

    /// Set by `stop()` before it returns, and read before the end is recorded: the task
    /// group's cancellation reaches the follow task a moment later, and a container stopped in
    /// that moment must still be left for whoever follows next.
    final class StopFlag: Sendable {
        let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
    }

    let layout: JobLayout
    private let engine: DockerEngine
    private let usage = LatestUsage()
    private let stopped = StopFlag()
    /// Finished by `stop()`; `run()` ends when it does.
    private let stopRequests: AsyncStream<Never>
    private let stopper: AsyncStream<Never>.Continuation

    init(engine: DockerEngine, layout: JobLayout) {
        self.engine = engine
        self.layout = layout
        (stopRequests, stopper) = AsyncStream.makeStream()
    }

    /// Follows the container until it stops and its end is recorded, or until `stop()` or the
    /// calling task's cancellation, which leave the container as it is. Call it once.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [engine, layout, usage, stopped] in
                await Self.follow(engine: engine, layout: layout, usage: usage, stopped: stopped)
            }
            group.addTask { [stopRequests] in for await _ in stopRequests {} }
            await group.next()
            group.cancelAll()
        }
    }

    /// Stops following without touching the container: as when the agent stops. Whoever
    /// follows next (a new executor) finishes the job's record.
    func stop() {
        stopped.value.withLock { $0 = true }
        stopper.finish()
    }

    var latestUsage: ResourceUsage? { usage.value.withLock { $0 } }

    private static func follow(engine: DockerEngine, layout: JobLayout, usage: LatestUsage, stopped: StopFlag) async {
        let container = DockerExecutor.containerName(layout.jobId)
        let job = try? JobFiles.read(SandboxJob.self, from: layout.job)
        // Whether the container ended while followed: false when the follower itself was stopped.
        let ended: Bool = await withTaskGroup(of: Void.self) { log in
            log.addTask { await copyLog(engine, container, to: layout.log) }
            // Stats and the timeout matter only while the container runs.
            await withTaskGroup(of: Void.self) { watchers in
                watchers.addTask { await sampleStats(engine, container, into: usage) }
                if let seconds = job?.timeoutSeconds {
                    watchers.addTask { await enforceTimeout(engine, container, seconds: seconds, layout: layout) }
                }
                try? await waitUntilStopped(engine, container)
                watchers.cancelAll()
            }
            if Task.isCancelled || stopped.isSet {
                log.cancelAll()
                return false
            }
            // The log stream ends by itself once the daemon has sent everything; give it a
            // bounded moment, never the job's whole life.
            log.addTask { try? await Task.sleep(for: .seconds(10)) }
            await log.next()
            log.cancelAll()
            return !Task.isCancelled && !stopped.isSet
        }
        guard ended else { return }
        let result = await outcome(engine, container, layout: layout, job: job, usage: usage.value.withLock { $0 })
        // Stopped while the outcome was read: the end is left for whoever follows next.
        guard !stopped.isSet else { return }
        do {
            try JobFiles.write(result, to: layout.status)
            try await engine.remove(container)
        } catch {
            // The status is what matters; a container left behind is removed with the job.
        }
    }

    /// Retries a lost connection to the daemon (e.g. it restarted) rather than declaring the job over.
    /// A wait that answers while the container still runs (the daemon may answer "not running" for
    /// a container it has only just started: moby#49627) is asked again: a follower that took the
    /// running container for ended would remove it, killing the job.
    private static func waitUntilStopped(_ engine: DockerEngine, _ container: String) async throws {
        var failures = 0
        while true {
            do {
                try await engine.waitUntilStopped(container)
                guard try await engine.state(of: container)?.Running == true else { return }
                try await Task.sleep(for: .milliseconds(50))
            } catch  where failures < 30 && !Task.isCancelled {
                failures += 1
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Appends the demultiplexed output to the log file. After a re-attach the stream starts
    /// again at the container's first byte, so the bytes the file already holds are skipped.
    private static func copyLog(_ engine: DockerEngine, _ container: String, to log: URL) async {
        if !FileManager.default.fileExists(atPath: log.path) {
            FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        guard let file = try? FileHandle(forWritingTo: log), let body = try? await engine.logs(of: container) else {
            return
        }
        defer { try? file.close() }
        var skip = (try? file.seekToEnd()) ?? 0
        var frames = LogDemultiplexer()
        do {
            for try await chunk in body {
                for (_, payload) in frames.feed(chunk.readableBytesView) {
                    var bytes = payload
                    if skip > 0 {
                        let dropped = min(UInt64(bytes.count), skip)
                        bytes = bytes.dropFirst(Int(dropped))
                        skip -= dropped
                    }
                    if !bytes.isEmpty { try file.write(contentsOf: bytes) }
                }
            }
        } catch {
            // Cancelled, or the daemon went away: what was written stays.
        }
    }

    /// Keeps the latest sample; the peak is the highest any sample (or the kernel) saw.
    private static func sampleStats(_ engine: DockerEngine, _ container: String, into usage: LatestUsage) async {
        guard let lines = try? await engine.stats(of: container) else { return }
        do {
            for try await line in lines {
                guard let stats = try? JSONDecoder().decode(ContainerStats.self, from: line), !stats.isEmpty else {
                    continue
                }
                var sample = stats.usage
                usage.value.withLock { latest in
                    sample.memoryPeakBytes = max(sample.memoryPeakBytes, latest?.memoryPeakBytes ?? 0)
                    latest = sample
                }
            }
        } catch {}
    }

    /// Kills the container at `seconds` after it started (measured from the daemon's own start
    /// time, so an agent restart does not extend the job's life).
    private static func enforceTimeout(
        _ engine: DockerEngine, _ container: String, seconds: Int, layout: JobLayout
    ) async {
        let started =
            (try? await engine.state(of: container)).flatMap { $0.map { DockerTime.parse($0.StartedAt) } } ?? nil
        let deadline = (started ?? Date()).addingTimeInterval(Double(seconds))
        let remaining = deadline.timeIntervalSinceNow
        if remaining > 0 {
            do { try await Task.sleep(for: .milliseconds(Int64(remaining * 1000))) } catch { return }
        }
        try? JobFiles.write("\(Date())\n", to: layout.timeoutMarker)
        try? await engine.kill(container)
    }

    /// How the job ended, from the markers the executor wrote and the container's final state.
    private static func outcome(
        _ engine: DockerEngine, _ container: String, layout: JobLayout, job: SandboxJob?, usage: ResourceUsage?
    ) async -> ExecutionResult {
        let launchedAt =
            (try? layout.started.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate)
            ?? Date()
        guard let state = try? await engine.state(of: container) else {
            if layout.exists(layout.cancelMarker) {
                return ExecutionResult(
                    reason: .cancelled, message: "cancelled; its container is gone", startedAt: launchedAt,
                    endedAt: Date(), usage: usage)
            }
            return ExecutionResult(
                reason: .supervisorLost,
                message:
                    "the job's container \(container) is gone (removed outside MLExchange?); its outcome is unknown",
                startedAt: launchedAt, endedAt: Date(), usage: usage)
        }
        let startedAt = DockerTime.parse(state.StartedAt) ?? launchedAt
        let endedAt = DockerTime.parse(state.FinishedAt) ?? Date()
        let code = state.ExitCode
        func result(_ reason: ExitReason, signal: Int32? = nil, _ message: String? = nil) -> ExecutionResult {
            ExecutionResult(
                reason: reason, exitCode: code, signal: signal, message: message, startedAt: startedAt,
                endedAt: endedAt, usage: usage)
        }
        if layout.exists(layout.cancelMarker) { return result(.cancelled) }
        if layout.exists(layout.timeoutMarker) { return result(.timedOut) }
        if state.OOMKilled { return result(.oomKilled) }
        // The disk is still mounted: the agent unmounts it only after reading this status.
        if code != 0, JobDisk(layout).isFull { return result(.diskLimit, ExitReason.diskFullMessage) }
        if let error = state.Error, !error.isEmpty, code != 0 { return result(.startFailed, error) }
        // docker-init exits 128+n when its child dies of signal n, as a shell does.
        if code > 128 && code < 128 + 65 { return result(.signaled, signal: code - 128) }
        return result(.exited)
    }
}

/// The daemon's RFC 3339 times with nanoseconds, e.g. `2026-11-24T02:21:20.516392528Z`.
enum DockerTime {
    static func parse(_ text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let (whole, fraction) =
            body.firstIndex(of: ".").map { (body[..<$0], Double("0" + body[$0...]) ?? 0) } ?? (body, 0)
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: whole + "Z"), date.timeIntervalSince1970 > 0 else { return nil }
        return date.addingTimeInterval(fraction)
    }
}
