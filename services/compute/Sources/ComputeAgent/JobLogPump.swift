import ComputeExecutors
import ComputeWire
import DataClient
import Foundation
import Platform

/// Moves what a job prints from its log file to where it belongs: log lines to its run's log
/// entries, `::mlex` metrics, params and tags to the run, progress to the job. The offset read
/// so far is kept in a file after each delivery, so an agent restarted mid-job goes on where it
/// stopped. A batch delivered just before a crash is read and sent again after it; its log
/// entries carry their byte offsets as sequences of this attempt's source, so data stores each
/// line once (a metric point of such a batch may arrive twice).
///
/// A multi-worker job's log has every line labelled `<rank>: ` (`WorkerLog`): entries keep the
/// text and carry the rank; `::mlex` lines count only from rank 0 — the others' stay log lines.
struct JobLogPump: Sendable {
    let executor: any Executor
    let data: DataClient
    let compute: ComputeClient
    let assignment: Assignment
    let offsetFile: URL

    /// Data's limits per request and per entry.
    static let maxEntries = 5000
    static let maxLineBytes = 64 * 1024 - 64

    /// The source data knows this attempt's log lines by: a retried job writes a new log from 0.
    var logSource: String { "job-log-\(assignment.attempt)" }

    /// Drains the log until the job has ended and everything it printed is delivered.
    func run() async throws {
        var offset =
            (try? String(contentsOf: offsetFile, encoding: .utf8)).flatMap {
                UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines))
            } ?? 0
        var pending: [UInt8] = []
        var lastProgress: (value: Double, message: String?)?
        var progressSentAt = ContinuousClock.now - .seconds(1)
        while true {
            // Whether it had ended is read before the log, so the final read sees every byte.
            let ended = executor.result(of: assignment.jobId) != nil
            let (bytes, next) = try executor.readLog(of: assignment.jobId, from: offset, limit: 1 << 20)
            pending += bytes
            var lines: [(text: String, offset: UInt64)] = []
            // `pending` always starts at `offset`, the first byte not yet delivered.
            // One pass, one compaction per read: removing each line from the front was
            // quadratic, and a job printing a megabyte of newlines stalled the agent.
            var lineStart = pending.startIndex
            while let newline = pending[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(
                    (String(decoding: pending[lineStart..<newline], as: UTF8.self), offset + UInt64(lineStart)))
                lineStart = newline + 1
            }
            pending.removeSubrange(..<lineStart)
            if pending.count > Self.maxLineBytes || (ended && bytes.isEmpty && !pending.isEmpty) {
                lines.append((String(decoding: pending, as: UTF8.self), offset + UInt64(lineStart)))
                pending = []
            }
            if let progress = try await deliver(lines) { lastProgress = progress }
            let delivered = next - UInt64(pending.count)
            if delivered != offset {
                offset = delivered
                try String(offset).write(to: offsetFile, atomically: true, encoding: .utf8)
            }
            // Progress goes at most four times a second; the last value always goes.
            if let progress = lastProgress, ContinuousClock.now - progressSentAt >= .milliseconds(250) || ended {
                try? await compute.report(
                    assignment.jobId, JobReport(progress: progress.value, progressMessage: progress.message))
                lastProgress = nil
                progressSentAt = .now
            }
            if ended && bytes.isEmpty && pending.isEmpty { return }
            if bytes.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
    }

    /// Sends one read's lines; returns the last progress they reported.
    private func deliver(_ lines: [(text: String, offset: UInt64)]) async throws -> (Double, String?)? {
        var entries: [JSONValue] = []
        var points: [JSONValue] = []
        var params: [String: JSONValue] = [:]
        var tags: [String: JSONValue] = [:]
        var progress: (Double, String?)?
        let now = Timestamp.now
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        for (line, offset) in lines {
            let (rank, text) = assignment.workers > 1 ? WorkerLog.split(line) : (nil, line)
            func entry(_ level: String, _ message: String) -> JSONValue {
                var entry: JSONValue = [
                    "time": .string(now), "level": .string(level), "message": .string(message),
                    "sequence": .int(Int64(offset)),
                ]
                if let rank { entry["rank"] = .int(Int64(rank)) }
                return entry
            }
            // Only rank 0 speaks for the run: N workers logging the same metric would be N points.
            let parsed = (rank ?? 0) == 0 ? LineProtocol.parse(text) : .log(text)
            switch parsed {
            case .log(let line):
                entries.append(
                    entry("info", String(decoding: Array(line.utf8.prefix(Self.maxLineBytes)), as: UTF8.self)))
            case .malformed(let line, let reason):
                entries.append(entry("warning", "\(String(line.prefix(4096))) [not understood: \(reason)]"))
            case .progress(let value, let message):
                progress = (value, message)
            case .metric(let key, let value, let step):
                var point: JSONValue = ["key": .string(key), "value": .double(value), "timestamp": .int(millis)]
                if let step { point["step"] = .int(step) }
                points.append(point)
            case .param(let key, let value):
                params[key] = .string(value)
            case .tag(let key, let value):
                tags[key] = .string(value)
            }
        }
        let run = assignment.runId
        for chunk in stride(from: 0, to: entries.count, by: Self.maxEntries) {
            try await data.appendLogs(
                run: run, Array(entries[chunk..<min(chunk + Self.maxEntries, entries.count)]), source: logSource)
        }
        for chunk in stride(from: 0, to: points.count, by: Self.maxEntries) {
            do {
                try await data.appendMetrics(
                    run: run, Array(points[chunk..<min(chunk + Self.maxEntries, points.count)]))
            } catch let error as PeerError where (400..<500).contains(error.status) {
                try await data.appendLogs(
                    run: run,
                    [
                        [
                            "time": .string(now), "level": "warning",
                            "message": .string("metrics refused by data: \(error.message)"),
                        ]
                    ])
            }
        }
        // A param logged twice with another value is refused (params are write-once); the job
        // learns nothing of it, so the refusal goes to its log.
        for (kind, values) in [("params", params), ("tags", tags)] where !values.isEmpty {
            do {
                if kind == "params" {
                    try await data.logParams(run: run, values)
                } else {
                    try await data.setTags(run: run, values)
                }
            } catch let error as PeerError where (400..<500).contains(error.status) {
                try await data.appendLogs(
                    run: run,
                    [
                        [
                            "time": .string(now), "level": "warning",
                            "message": .string("\(kind) refused by data: \(error.message)"),
                        ]
                    ])
            }
        }
        return progress
    }
}
