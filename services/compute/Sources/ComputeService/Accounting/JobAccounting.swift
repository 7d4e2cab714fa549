import Foundation
import Metrics
import Platform
import Store

/// What one ended job consumed (`job_accounting`), written in the same batch as its end so no
/// job that ran is missed or counted twice: measured CPU-seconds (all its workers' cgroups),
/// memory as peak × wall (byte-seconds), GPU-seconds as GPUs × workers × wall, and wall time
/// from `startedAt` to `endedAt`. A job is counted in the UTC day and month it ended. Jobs that
/// never started (cancelled while queued, failed before running) have no record.
struct JobAccounting: CollectionRecord, Equatable {
    static let collection = "job_accounting"

    /// The job's id: one record per job.
    var id: String
    var projectId: String
    var owner: String
    var state: String
    var workers: Int
    var gpus: Int
    var startedAt: String
    var endedAt: String
    var endedAtMs: Int64
    /// `YYYY-MM-DD` and `YYYY-MM` of `endedAt`, UTC: what totals group by.
    var day: String
    var month: String
    var cpuSeconds: Double
    var memoryByteSeconds: Double
    var gpuSeconds: Double
    var wallSeconds: Double

    /// The record of `job` as it ends, or nil when it never started.
    init?(ended job: JobRecord) {
        guard let startedText = job.startedAt, let endedText = job.endedAt,
            let started = Timestamp.parse(startedText), let ended = Timestamp.parse(endedText)
        else { return nil }
        let wall = max(0, ended.timeIntervalSince(started))
        id = job.id
        projectId = job.projectId
        owner = job.owner
        state = job.state.rawValue
        workers = job.workers
        gpus = job.footprint.gpus
        startedAt = startedText
        endedAt = endedText
        endedAtMs = Int64(ended.timeIntervalSince1970 * 1000)
        day = UsagePeriod.day(of: ended)
        month = UsagePeriod.month(of: ended)
        cpuSeconds = job.usage?.cpuSeconds ?? 0
        memoryByteSeconds = Double(job.peakMemoryBytes ?? job.usage?.memoryPeakBytes ?? 0) * wall
        gpuSeconds = Double(gpus) * wall
        wallSeconds = wall
    }

    /// Adds this job to the Prometheus counters of its project and owner.
    func count() {
        let dimensions = [("project", projectId), ("user", owner)]
        func add(_ name: String, _ value: Double) {
            FloatingPointCounter(label: "mlex_compute_job_\(name)_total", dimensions: dimensions).increment(by: value)
        }
        add("cpu_seconds", cpuSeconds)
        add("memory_byte_seconds", memoryByteSeconds)
        add("gpu_seconds", gpuSeconds)
        add("wall_seconds", wallSeconds)
        Counter(label: "mlex_compute_jobs_ended_total", dimensions: dimensions + [("state", state)]).increment()
    }
}

/// UTC calendar days and months, as accounting and quotas name them.
enum UsagePeriod {
    static func day(of date: Date) -> String { String(Timestamp.format(date).prefix(10)) }
    static func month(of date: Date) -> String { String(Timestamp.format(date).prefix(7)) }

    /// The first instant of `date`'s UTC month.
    static func monthStart(of date: Date) -> Date {
        Timestamp.parse(month(of: date) + "-01T00:00:00Z") ?? date
    }
}
