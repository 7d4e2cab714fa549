import ArgumentParser
import Foundation
import MLExClient
import Wire

/// How a job is shown: `mlex progress` and the end of `mlex progress --wait`.
enum JobView {
    static let terminalStates: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]

    static func show(_ job: JSONValue) {
        var rows: [(String, String)] = [
            ("job", Console.cell(job["id"])), ("name", Console.cell(job["name"])), ("state", state(job)),
        ]
        if let message = job["message"]?.stringValue { rows.append(("message", message)) }
        if let progress = job["progress"]?.numberValue {
            rows.append(
                (
                    "progress",
                    "\(Int((progress * 100).rounded()))%" + (job["progressMessage"]?.stringValue.map { " \($0)" } ?? "")
                ))
        }
        let resources = job["resources"]
        rows.append(
            (
                "resources",
                "\(Console.cell(resources?["cpus"])) cpus, \(Console.cell(resources?["memoryMB"])) MB, \(Console.cell(resources?["gpus"])) gpus"
            ))
        if let usage = job["usage"], usage != .null {
            let memory = usage["memoryBytes"]?.intValue.map(Console.bytes) ?? "-"
            let peak = usage["memoryPeakBytes"]?.intValue.map(Console.bytes) ?? "-"
            let cpu = String(format: "%.2f", usage["cpuSeconds"]?.numberValue ?? 0)
            rows.append(("usage", "\(cpu) cpu s, memory \(memory) (peak \(peak)), \(Console.cell(usage["pids"])) pids"))
        }
        rows.append(("queue", "\(Console.cell(job["queue"])) (priority \(Console.cell(job["priority"])))"))
        if let node = job["nodeId"]?.stringValue { rows.append(("node", node)) }
        if let path = job["endpointPath"]?.stringValue { rows.append(("endpoint", "\(path) (through the gateway)")) }
        rows.append(("run", Console.cell(job["runId"])))
        for (label, key) in [
            ("created", "createdAt"), ("scheduled", "scheduledAt"), ("started", "startedAt"), ("ended", "endedAt"),
        ] {
            if let at = job[key]?.stringValue { rows.append((label, at)) }
        }
        if let waited = seconds(job["createdAt"], job["startedAt"] ?? job["endedAt"]) {
            rows.append(("queued for", String(format: "%.1f s", waited)))
        }
        if let ran = seconds(job["startedAt"], job["endedAt"]) {
            rows.append(("ran for", String(format: "%.1f s", ran)))
        }
        Console.fields(rows)
    }

    /// `failed (exit 2)`: its state and, once it ended, why.
    static func state(_ job: JSONValue) -> String {
        Console.cell(job["state"]) + (outcome(job).map { " (\($0))" } ?? "")
    }

    /// Why a job ended: "exit 2", "oom_killed", "timeout, exit 137"…
    static func outcome(_ job: JSONValue) -> String? {
        switch (job["reason"]?.stringValue, job["exitCode"]) {
        case ("exit_code"?, let code?): "exit \(Console.cell(code))"
        case (let reason?, let code?): "\(reason), exit \(Console.cell(code))"
        case (let reason?, nil): reason
        default: nil
        }
    }

    static func seconds(_ from: JSONValue?, _ to: JSONValue?) -> Double? {
        guard let start = from?.stringValue.flatMap(Timestamp.parse), let end = to?.stringValue.flatMap(Timestamp.parse)
        else { return nil }
        return end.timeIntervalSince(start)
    }

    /// Refuses, as a usage error, an argument that cannot be a job id.
    static func requireJobID(_ text: String) throws {
        guard ID.isValid(text) else { throw ValidationError("\"\(text)\" is not a job id (mlex jobs ls lists them)") }
    }

    /// Follows the job's events from `job` as last read until it is in one of `states` or has
    /// ended; `changed` sees each new view of it. The job as it is then.
    static func follow(
        _ id: String, from job: JSONValue, until states: Set<String> = [], client: MLExClient,
        changed: (JSONValue) -> Void = { _ in }
    ) async throws -> JSONValue {
        let done = states.union(terminalStates)
        var last = job
        while !done.contains(last["state"]?.stringValue ?? "") {
            // The stream can drop (a restart of compute): read again, then follow anew.
            for try await event in try await client.events(.compute, "/v1/jobs/\(id)/events") where event.event == "job"
            {
                last = try JSONValue.parse(event.data)
                changed(last)
                if done.contains(last["state"]?.stringValue ?? "") { break }
            }
            last = try await client.call(.compute, .GET, "/v1/jobs/\(id)")
        }
        return last
    }

    /// Cancels the job and says what became of it.
    static func cancel(_ id: String, client: MLExClient) async throws {
        let answer = try await client.call(.compute, .POST, "/v1/jobs/\(id)/cancel")
        Console.note("Job \(id): \(line(answer))\(answer["state"] == "cancelled" ? "" : ", cancel requested")")
    }

    /// One line for a change seen while waiting.
    static func line(_ job: JSONValue) -> String {
        var text = "\(Console.cell(job["state"]))"
        if let progress = job["progress"]?.numberValue { text += " \(Int((progress * 100).rounded()))%" }
        if let message = job["progressMessage"]?.stringValue { text += " \(message)" }
        if let outcome = outcome(job) { text += " (\(outcome))" }
        return text
    }
}

struct Progress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a job's state, progress, resources and timings.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The job's id.") var job: String

    func validate() throws { try JobView.requireJobID(job) }
    @Flag(help: "Follow the job until it ends, printing each change; exit 0 only if it succeeded.") var wait = false

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            var last = try await client.call(.compute, .GET, "/v1/jobs/\(job)")
            if wait {
                var seen = ""
                last = try await JobView.follow(job, from: last, client: client) { changed in
                    let line = JobView.line(changed)
                    if line != seen && !output.json {
                        Console.note(line)
                        seen = line
                    }
                }
            }
            if output.json { Console.json(last) } else { JobView.show(last) }
            if wait, last["state"] != "succeeded" { throw ExitCode(ExitStatus.unsuccessful.rawValue) }
        }
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a job's log (its stdout and stderr).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The job's id.") var job: String

    func validate() throws { try JobView.requireJobID(job) }
    @Flag(name: [.short, .long], help: "Keep printing new lines until the job ends.") var follow = false
    @Flag(help: "Print each entry as a JSON line (time, level, message, and rank in a multi-worker job).")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            var after: String?
            // Everything logged so far, page by page.
            repeat {
                let page = try await client.call(
                    .compute, .GET, "/v1/jobs/\(job)/logs", query: ["limit": "5000", "after": after])
                for entry in page["items"]?.arrayValue ?? [] { print(entry) }
                after = page["nextAfter"]?.stringValue ?? page["items"]?.arrayValue?.last?["id"]?.stringValue ?? after
                if page["nextAfter"]?.stringValue == nil { break }
            } while true
            guard follow else { return }
            // Then the stream from the last line printed; a dropped stream is resumed there.
            var ended = false
            while !ended {
                for try await event in try await client.events(
                    .compute, "/v1/jobs/\(job)/logs", query: ["follow": "true", "after": after])
                {
                    if event.event == "end" {
                        ended = true
                        break
                    }
                    guard event.event == "log", let entry = try? JSONValue.parse(event.data) else { continue }
                    print(entry)
                    after = entry["id"]?.stringValue ?? after
                }
                if !ended {
                    // The stream dropped without `end`: done only if the job ended and no line is left.
                    let state = try await client.call(.compute, .GET, "/v1/jobs/\(job)")["state"]?.stringValue ?? ""
                    let rest = try await client.call(
                        .compute, .GET, "/v1/jobs/\(job)/logs", query: ["limit": "1", "after": after])
                    ended = JobView.terminalStates.contains(state) && rest["items"]?.arrayValue?.isEmpty != false
                }
            }
        }
    }

    /// A multi-worker job's line names its worker, as `srun --label` would.
    func print(_ entry: JSONValue) {
        let rank = entry["rank"]?.intValue.map { "\($0): " } ?? ""
        Console.line(json ? entry.jsonText : rank + (entry["message"]?.stringValue ?? ""))
    }
}

struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download what a job wrote to its model_output_dir.",
        discussion:
            "Each file is checked against its SHA-256; an interrupted download resumes where it stopped when run again, and files already there are skipped."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The job's id.") var job: String

    func validate() throws { try JobView.requireJobID(job) }
    @Option(help: ArgumentHelp("Where to put the files.", valueName: "dir")) var dest = "."

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            let state = try await client.call(.compute, .GET, "/v1/jobs/\(job)")["state"]?.stringValue ?? ""
            let outputs = try await client.call(.compute, .GET, "/v1/jobs/\(job)/outputs")["items"]?.arrayValue ?? []
            if outputs.isEmpty {
                Console.note(
                    JobView.terminalStates.contains(state)
                        ? "Job \(job) left no outputs." : "Job \(job) is \(state): outputs are uploaded when it ends.")
                return
            }
            let root = URL(fileURLWithPath: dest, isDirectory: true).standardizedFileURL
            var fetched = 0
            for output in outputs {
                guard let name = output["name"]?.stringValue, let path = output["downloadPath"]?.stringValue,
                    let sha256 = output["sha256"]?.stringValue, let size = output["size"]?.intValue
                else { continue }
                guard !name.hasPrefix("/"), !name.split(separator: "/").contains(".."), path.hasPrefix("/api/data/")
                else {
                    throw ClientError.integrity(
                        "refusing the output path \"\(name)\": it would land outside \(root.path)")
                }
                let bar = ProgressBar(name, total: size)
                let moved = try await client.download(
                    dataPath: String(path.dropFirst("/api/data".count)), to: root.appendingPathComponent(name),
                    size: size, sha256: sha256, progress: bar.reporter)
                bar.finish()
                if moved > 0 || size == 0 { fetched += 1 }
            }
            Console.note(
                "\(outputs.count) file(s) in \(root.path) (\(fetched) downloaded, \(outputs.count - fetched) already there), SHA-256 verified."
            )
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a job: a queued one ends at once, a running one is killed on its node.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The job's id.") var job: String

    func validate() throws { try JobView.requireJobID(job) }

    func run() async throws {
        try await reportingErrors {
            try await JobView.cancel(job, client: try global.client())
        }
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List jobs.", subcommands: [List.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "Jobs, newest first: yours, or a project's.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "A project (name or id): its jobs rather than yours.") var project: String?
        @Option(help: "Only jobs in this state.") var state: String?
        @Option(help: "Only jobs of this queue.") var queue: String?
        @Option(help: "At most this many.") var limit = 20

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let projectID: String? = if let project { try await client.projectID(project) } else { nil }
                let page = try await client.call(
                    .compute, .GET, "/v1/jobs",
                    query: [
                        "projectId": projectID, "state": state, "queue": queue, "limit": String(limit),
                    ])
                let jobs = page["items"]?.arrayValue ?? []
                if output.json { return Console.json(.array(jobs)) }
                Console.table(
                    ["ID", "NAME", "STATE", "PROGRESS", "QUEUE", "CREATED"],
                    jobs.map { job in
                        [
                            Console.cell(job["id"]), Console.cell(job["name"]), Console.cell(job["state"]),
                            job["progress"]?.numberValue.map { "\(Int(($0 * 100).rounded()))%" } ?? "-",
                            Console.cell(job["queue"]), Console.cell(job["createdAt"]),
                        ]
                    })
            }
        }
    }
}
