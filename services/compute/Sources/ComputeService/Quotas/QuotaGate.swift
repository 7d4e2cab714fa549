import Foundation
import Platform
import Store

/// What a holder has used of its quotas now: workers active, and CPU- and GPU-hours of the
/// current UTC month (its ended jobs' accounting plus what its running jobs used so far).
struct QuotaUse: Sendable, Equatable {
    var month: String
    var activeWorkers: Int
    var cpuHours: Double
    var gpuHours: Double

    func view() -> JSONValue {
        [
            "month": .string(month), "activeWorkers": .int(Int64(activeWorkers)), "cpuHours": .double(cpuHours),
            "gpuHours": .double(gpuHours),
        ]
    }
}

/// Why a queued job waits on a quota: shown on the job as `pendingReason`.
struct QuotaHold: Sendable, Equatable {
    var holder: QuotaHolder
    /// The quota, as a field: `quota.gpuHoursPerMonth`, ….
    var field: String
    var message: String
    /// Only jobs asking for GPUs wait on a GPU-hour quota; every job of the holder on the others.
    var onlyGPUJobs: Bool

    /// A condition that leaves out the jobs this hold keeps waiting.
    var exclusion: JSONValue {
        let other: JSONValue = [holder.jobField: ["$ne": .string(holder.id)]]
        return onlyGPUJobs ? ["$or": [other, ["resources.gpus": 0]]] : other
    }
}

/// Decides whether a job's project and owner may start another job now. Built once per claim
/// (or per read of a queued job); each holder's month is read at most once.
struct QuotaGate: Sendable {
    let book: QuotaBook
    let store: any DocumentStore
    let active: [JobAllocation]
    let now: Date
    private var used: [QuotaHolder: QuotaUse] = [:]

    init(book: QuotaBook, store: any DocumentStore, active: [JobAllocation], now: Date) {
        self.book = book
        self.store = store
        self.active = active
        self.now = now
    }

    /// The gate, or nil when no quota limits anything (nothing to read then).
    static func load(_ core: ComputeCore, now: Date = Date()) async throws -> QuotaGate? {
        let book = try await QuotaBook.load(core)
        guard book.limitsAnything else { return nil }
        return QuotaGate(
            book: book, store: core.store, active: try await core.jobs.allocations(["state": JobState.activeValues]),
            now: now)
    }

    /// The first quota of the job's project, then of its owner, that keeps a job of `gpus`
    /// GPUs (all workers) from starting now; nil when none does.
    mutating func hold(project: String, owner: String, gpus: Int) async throws -> QuotaHold? {
        for holder in [QuotaHolder.project(project), .user(owner)] {
            if let hold = try await hold(holder, gpus: gpus) { return hold }
        }
        return nil
    }

    private mutating func hold(_ holder: QuotaHolder, gpus: Int) async throws -> QuotaHold? {
        let limits = book.limits(of: holder)
        guard limits.limitsAnything else { return nil }
        let use = try await use(of: holder)
        // A holder with nothing active may always start one job, however many workers it has,
        // so a job larger than the limit is never stuck.
        if let limit = limits.maxActiveWorkers, use.activeWorkers > 0, use.activeWorkers >= limit {
            return QuotaHold(
                holder: holder, field: "quota.maxActiveWorkers",
                message:
                    "\(holder.kind) concurrent-worker quota reached (\(use.activeWorkers) of \(limit) workers active)",
                onlyGPUJobs: false)
        }
        if let limit = limits.cpuHoursPerMonth, use.cpuHours >= limit {
            return QuotaHold(
                holder: holder, field: "quota.cpuHoursPerMonth",
                message: Self.reached(holder, "CPU-hour", use.month, use.cpuHours, of: limit), onlyGPUJobs: false)
        }
        if gpus > 0, let limit = limits.gpuHoursPerMonth, use.gpuHours >= limit {
            return QuotaHold(
                holder: holder, field: "quota.gpuHoursPerMonth",
                message: Self.reached(holder, "GPU-hour", use.month, use.gpuHours, of: limit), onlyGPUJobs: true)
        }
        return nil
    }

    /// "project GPU-hour quota for 2026-12 reached (10.0 of 10 h)".
    static func reached(
        _ holder: QuotaHolder, _ quota: String, _ month: String, _ used: Double, of limit: Double
    )
        -> String
    {
        "\(holder.kind) \(quota) quota for \(month) reached (\(hours(used)) of \(Scheduler.number(limit)) h)"
    }

    /// One decimal, or four below an hour's tenth so a small use does not read as 0.0.
    static func hours(_ value: Double) -> String {
        String(format: value >= 0.1 || value == 0 ? "%.1f" : "%.4f", value)
    }

    /// What `holder` has used this month and holds now.
    mutating func use(of holder: QuotaHolder) async throws -> QuotaUse {
        if let known = used[holder] { return known }
        let month = UsagePeriod.month(of: now)
        var use = QuotaUse(month: month, activeWorkers: 0, cpuHours: 0, gpuHours: 0)
        for record in try await store.find(
            JobAccounting.collection,
            Query(filter: [holder.jobField: .string(holder.id), "month": .string(month)]))
        {
            use.cpuHours += (record["cpuSeconds"]?.numberValue ?? 0) / 3600
            use.gpuHours += (record["gpuSeconds"]?.numberValue ?? 0) / 3600
        }
        let monthStart = UsagePeriod.monthStart(of: now)
        for job in active where (holder.jobField == "projectId" ? job.projectId : job.owner) == holder.id {
            use.activeWorkers += job.workers
            use.cpuHours += job.cpuSeconds / 3600
            if let started = job.startedAt {
                use.gpuHours +=
                    Double(job.gpuIds.count) * max(0, now.timeIntervalSince(max(started, monthStart))) / 3600
            }
        }
        used[holder] = use
        return use
    }
}
