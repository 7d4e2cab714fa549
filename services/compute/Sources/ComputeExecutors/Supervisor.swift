import Foundation
import Glibc

/// The per-job process the agent starts detached (`mlex-compute-supervisor <jobDir>`).
/// It owns the job from cgroup creation to `status.json`, so the job keeps its limits, timeout
/// and a final status even while the agent is down. A job with several workers has one
/// supervisor for all of them: it holds their shared network namespace and writes their log.
public enum Supervisor {
    /// Runs one job to its end; `arguments` is `[jobDir]`. Returns the process exit status:
    /// 0 once a status was written for a job that started, 1 if it could not start, 2 on misuse.
    public static func main(arguments: [String]) -> Int32 {
        guard arguments.count == 1 else {
            report("usage: supervise <job directory>")
            return 2
        }
        let layout = JobLayout(directory: URL(fileURLWithPath: arguments[0], isDirectory: true))
        guard !layout.exists(layout.status) else {
            report("\(layout.jobId) already has a status; not running it again")
            return 2
        }
        let startedAt = Date()
        if layout.exists(layout.cancelMarker) {
            return finish(
                layout,
                ExecutionResult(
                    reason: .cancelled, message: "cancelled before start", startedAt: startedAt, endedAt: Date()))
        }
        let job: SupervisedJob
        do {
            job = try SupervisedJob.start(layout)
        } catch {
            report("start failed: \(error)")
            _ = finish(
                layout,
                ExecutionResult(reason: .startFailed, message: "\(error)", startedAt: startedAt, endedAt: Date()))
            return 1
        }
        return finish(layout, job.superviseToEnd())
    }

    private static func finish(_ layout: JobLayout, _ result: ExecutionResult) -> Int32 {
        do {
            try JobFiles.write(result, to: layout.status)
            report("\(layout.jobId) ended: \(result.reason.rawValue)")
            return 0
        } catch {
            report("cannot write \(layout.status.path): \(error)")
            return 1
        }
    }

    /// stderr is the job directory's supervisor.log.
    static func report(_ line: String) {
        FileHandle.standardError.write(Data("\(Date()) supervisor: \(line)\n".utf8))
    }
}
