import ComputeExecutors
import ComputeWire
import DataClient
import Foundation
import Logging
import Platform
import ServiceLifecycle

/// The node agent (DCloud's node agent, ClearML's agent): registers the node's capacity, keeps
/// one long poll open to compute for jobs to start or cancel (no polling delay), heartbeats
/// the usage of its jobs, and runs each job with its executor. After a restart it registers
/// again and re-attaches to the jobs still running under their supervisors.
struct ComputeAgent: Service {
    let settings: AgentSettings
    let registration: NodeRegistration
    let executor: any Executor
    let compute: ComputeClient
    let runner: JobRunner
    let logger: Logger
    let running = RunningJobs()

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Jobs found at registration start at once, beside it.
            group.addTask { await self.running.run() }
            try await register()
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { loops in
                    loops.addTask { await self.followInstructions() }
                    loops.addTask { await self.heartbeat() }
                    loops.addTask { await self.sweepOrphans() }
                    await loops.next()
                    loops.cancelAll()
                }
            }
            // Ends the jobs' tasks; the jobs keep running under their supervisors (or the
            // Docker daemon), and the next agent re-attaches to them.
            group.cancelAll()
        }
    }

    /// Registers (retrying until compute answers) and reconciles: jobs compute says run here are
    /// re-attached (or started, if they never were); jobs found on disk that compute does not
    /// know here any more are stopped and removed.
    func register() async throws {
        let active = try await registerUntilAnswered().activeJobs
        let known = Set((try? executor.knownJobs()) ?? [])
        for assignment in active {
            await start(assignment, attach: known.contains(assignment.jobId))
            if assignment.cancelRequested { try? await executor.cancel(assignment.jobId) }
        }
        for orphan in known.subtracting(active.map(\.jobId)) {
            if await running.contains(orphan) { continue }
            logger.warning(
                "a job on disk is not assigned here any more; stopping and removing it", metadata: ["job": "\(orphan)"])
            try? await executor.cancel(orphan)
            try? executor.remove(orphan)
        }
        logger.info("node registered", metadata: ["node": "\(compute.nodeID)", "reattached": "\(active.count)"])
    }

    /// Retries until compute answers; a refusal (4xx) is final.
    private func registerUntilAnswered() async throws -> RegistrationAnswer {
        var failures = 0
        while true {
            do {
                return try await compute.register(registration)
            } catch let error as PeerError where error.status < 500 {
                throw error
            } catch {
                failures += 1
                if failures == 1 || failures % 30 == 0 {
                    logger.warning(
                        "compute cannot be reached to register the node yet", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: Retry.backoff(after: min(failures, 4)))
            }
        }
    }

    private func start(_ assignment: Assignment, attach: Bool) async {
        let runner = runner
        await running.start(assignment.jobId) {
            await runner.run(assignment, attach: attach)
        }
    }

    private func followInstructions() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let instructions = try await compute.instructions(wait: 20)
                failures = 0
                for assignment in instructions.assignments { await start(assignment, attach: false) }
                for jobID in instructions.cancellations {
                    do { try await executor.cancel(jobID) } catch {
                        logger.warning("cannot cancel job", metadata: ["job": "\(jobID)", "error": "\(error)"])
                    }
                }
            } catch let error as PeerError where error.status == 404 {
                try? await register()
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                if !Task.isCancelled {
                    logger.warning("waiting for instructions failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: Retry.backoff(after: min(failures, 4)))
            }
        }
    }

    /// Every quarter of `mlex.agent.orphanWorkDirMinutes`, removes the work dirs this agent does
    /// not hold (registration removed those of its start; these appear later, e.g. when a run
    /// of a killed agent's job is taken up elsewhere) once they are that old.
    private func sweepOrphans() async {
        let interval = Duration.seconds(max(15, settings.orphanWorkDirAge / 4))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard !Task.isCancelled else { return }
            await removeOrphans(olderThan: settings.orphanWorkDirAge, now: Date())
        }
    }

    /// Stops and removes each job on disk that the agent does not follow and whose work dir
    /// was last changed more than `age` before `now`.
    func removeOrphans(olderThan age: TimeInterval, now: Date) async {
        let held = Set(await running.ids())
        let jobs = settings.stateDirectory.appendingPathComponent("jobs", isDirectory: true)
        for orphan in Set((try? executor.knownJobs()) ?? []).subtracting(held).sorted() {
            let changed =
                (try? jobs.appendingPathComponent(orphan).resourceValues(forKeys: [.contentModificationDateKey]))?
                .contentModificationDate ?? now
            guard now.timeIntervalSince(changed) > age, await !running.contains(orphan) else { continue }
            logger.warning(
                "removing the work dir of a job this agent does not hold", metadata: ["job": "\(orphan)"])
            try? await executor.cancel(orphan)
            try? executor.remove(orphan)
        }
    }

    private func heartbeat() async {
        while !Task.isCancelled {
            var jobs: [String: Usage] = [:]
            for jobID in await running.ids() {
                jobs[jobID] = executor.usage(of: jobID)
            }
            do {
                try await compute.heartbeat(Heartbeat(jobs: jobs))
            } catch let error as PeerError where error.status == 404 {
                try? await register()
            } catch {
                if !Task.isCancelled { logger.warning("heartbeat failed", metadata: ["error": "\(error)"]) }
            }
            try? await Task.sleep(for: settings.heartbeat)
        }
    }
}

/// The jobs this agent is following: one child task each of `run()`, which the agent awaits
/// beside its other work, so no job's task outlives the agent.
actor RunningJobs {
    struct Start: Sendable {
        let jobID: String
        let body: @Sendable () async -> Void
    }

    /// Jobs started or running: added when a job is started, removed when its task ends.
    private var following: Set<String> = []
    private let starts: AsyncStream<Start>
    private let queue: AsyncStream<Start>.Continuation

    init() {
        (starts, queue) = AsyncStream.makeStream()
    }

    /// Has `run()` follow the job with `body`, unless it follows it already.
    func start(_ jobID: String, _ body: @escaping @Sendable () async -> Void) {
        guard following.insert(jobID).inserted else { return }
        queue.yield(Start(jobID: jobID, body: body))
    }

    func contains(_ jobID: String) -> Bool { following.contains(jobID) }
    func ids() -> [String] { Array(following) }

    private func finished(_ jobID: String) { following.remove(jobID) }

    /// Runs each started job's task until cancelled, which cancels them all and waits for them.
    /// Call it once.
    nonisolated func run() async {
        await withDiscardingTaskGroup { group in
            for await start in starts {
                group.addTask {
                    await start.body()
                    await self.finished(start.jobID)
                }
            }
        }
    }
}
