import Bus
import Foundation
import Logging
import Outbox
import Platform
import Store

/// Compute's job events set the status of the job's run (docs/design.md §4, "a job is a run"): data
/// alone writes run statuses, and it learns of jobs only from `mlex.compute`. Each event is
/// applied once (`EventConsumer`); a late or repeated event that would move a finished run back
/// is ignored, as the run's status only moves forward.
enum JobEvents {
    static let group = "data.job-runs"

    /// docs/design.md §4's mapping of job states onto run statuses.
    static let runStatus: [String: RunStatus] = [
        "queued": .scheduled, "scheduled": .scheduled, "running": .running,
        "succeeded": .finished, "failed": .failed, "timed_out": .failed, "cancelled": .killed,
    ]

    static func consumer(_ core: DataCore, bus: any Bus, logger: Logger) -> EventConsumer {
        EventConsumer(group: group, topic: Topics.compute, bus: bus, store: core.store, logger: logger) { delivery in
            try await operations(for: delivery.event, core)
        }
    }

    /// The writes one event causes: the run's new status (and `run.finished` at the end).
    static func operations(for event: CloudEvent, _ core: DataCore) async throws -> [WriteOperation] {
        let prefix = "mlex.compute.job."
        guard event.type.hasPrefix(prefix), let status = runStatus[String(event.type.dropFirst(prefix.count))],
            let runID = event.data["runId"]?.stringValue, let run = try await core.runs.run(id: runID),
            run.status != status, run.status.canMove(to: status)
        else { return [] }
        var changed = run
        changed.status = status
        if status.isTerminal {
            changed.endTime = Timestamp.format(event.time)
            if let exitCode = event.data["exitCode"] { changed.exitCode = exitCode }
        }
        return try core.runs.entities.updating(run, to: changed, verb: status.isTerminal ? "finished" : nil).1
    }
}
