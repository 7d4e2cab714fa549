import ArgumentParser
import Foundation
import MLExClient
import Wire

/// Terminal sessions (docs/endpoints.md): a job whose endpoint is a shell, reached at
/// `<gateway>/endpoints/<job>/terminal` while it runs.
enum SessionView {
    static func isSession(_ job: JSONValue) -> Bool {
        job["spec"]?["endpoint"]?["kind"] == "terminal"
    }

    /// The session's page in the web UI.
    static func webURL(_ id: String, client: MLExClient) -> String {
        "\(client.baseURL)/jobs/\(id)/terminal"
    }

    /// Where its shell's WebSocket is.
    static func socketURL(_ id: String, client: MLExClient) -> String {
        "\(client.baseURL)/endpoints/\(id)/terminal"
    }

    /// Running sessions first, then starting ones, then queued, then those that ended; newest first in each.
    static func rank(_ job: JSONValue) -> Int {
        ["running": 0, "scheduled": 1, "queued": 2][job["state"]?.stringValue ?? ""] ?? 3
    }

    static func requireID(_ text: String) throws {
        guard ID.isValid(text) else {
            throw ValidationError("\"\(text)\" is not a session id (mlex sessions ls lists them)")
        }
    }

    /// The job `id`, refused unless it is a terminal session.
    static func session(_ id: String, client: MLExClient) async throws -> JSONValue {
        let job = try await client.call(.compute, .GET, "/v1/jobs/\(id)")
        guard isSession(job) else {
            throw ClientError.usage("job \(id) is not a terminal session (mlex sessions ls lists them)")
        }
        return job
    }

    /// Waits while the session starts, then attaches this terminal to its shell until it
    /// ends or this side detaches, and says which happened and where the session's outputs go.
    static func attach(_ id: String, job: JSONValue, client: MLExClient, global: GlobalOptions) async throws {
        var job = job
        if job["state"] != "running" && !JobView.terminalStates.contains(job["state"]?.stringValue ?? "") {
            Console.note("Session \(id) is \(Console.cell(job["state"])); waiting for it to start…")
            job = try await JobView.follow(id, from: job, until: ["running"], client: client)
        }
        let run = Console.cell(job["runId"])
        if JobView.terminalStates.contains(job["state"]?.stringValue ?? "") {
            throw ClientError.api(
                APIFailure(
                    status: 409, code: "conflict",
                    message:
                        "session \(id) has ended (\(JobView.line(job))): what it wrote to /output is in run \(run) (mlex download \(id))",
                    field: nil))
        }
        let url = socketURL(id, client: client)
        let interactive = Console.stdinIsTerminal
        if interactive {
            Console.note("Attached to session \(id): `exit` ends it, Ctrl-] then q detaches and leaves it running.")
        }
        // The token of the session as it is now: reading the job above refreshed it if it had expired.
        let ending = try await TerminalAttachment(url: url, token: try global.accessToken(), interactive: interactive)
            .run()
        switch ending {
        case .ended:
            Console.note(
                "Session \(id) ended. What it wrote to /output is saved to run \(run) as the job ends: mlex download \(id)"
            )
        case .detached:
            Console.note(
                "Detached from session \(id); it keeps running: mlex sessions attach \(id) returns, mlex sessions stop \(id) ends it."
            )
        }
    }
}

struct Sessions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open, attach to, list and stop terminal sessions: a shell in a job, with a project's datasets.",
        subcommands: [Open.self, Attach.self, List.self, Stop.self], defaultSubcommand: List.self,
        // `mlex session attach ID` reads as well as `mlex sessions attach ID`.
        aliases: ["session"])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a terminal session and attach to it.",
            discussion: """
                Submits a job that runs a shell (bash, TERM=vt100) in /job, with the
                --input dataset versions read-only at /data; what it writes to /output
                is saved to the job's run when the session ends (exit, mlex sessions
                stop, or --idle-seconds with nothing typed or printed). Prints the job's
                id on stdout and, once it runs, its page in the web UI on stderr; then
                attaches as `mlex sessions attach` does, unless --detach.
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "The project (name or id).") var project: String
        @Option(help: "The session's name.") var name: String?
        @Option(help: "A template (its image or host runtime, setup, defaults; mlex templates ls).") var template:
            String?
        @Option(
            name: .customLong("input"),
            help: ArgumentHelp("A dataset version mounted read-only at /data (repeatable).", valueName: "version"))
        var inputs: [String] = []
        @Option(help: ArgumentHelp("CPUs (fractions allowed).", valueName: "n")) var cpus: Double?
        @Option(help: ArgumentHelp("Memory in MB.", valueName: "MB")) var memoryMB: Int?
        @Option(help: "The queue.") var queue: String?
        @Option(
            help: ArgumentHelp(
                "Stop after this many seconds with nothing typed or printed (10-604800; default 3600).", valueName: "s")
        )
        var idleSeconds: Int?
        @Flag(help: "Only start it: print its id and page, do not attach.") var detach = false

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let created = try await client.call(
                    .compute, .POST, "/v1/jobs", body: spec(try await client.projectID(project)))
                let id = created["id"]?.stringValue ?? ""
                Console.line(id)
                var job = created
                if job["state"] != "running" {
                    Console.note("Session \(id) \(Console.cell(job["state"])); waiting for it to start…")
                    job = try await JobView.follow(id, from: job, until: ["running"], client: client)
                }
                guard job["state"] == "running" else {
                    Console.error("session \(id) ended before it started: \(JobView.line(job))")
                    throw ExitCode(ExitStatus.unsuccessful.rawValue)
                }
                Console.note("Session \(id) running; in a browser: \(SessionView.webURL(id, client: client))")
                if detach {
                    Console.note(
                        "Attach with `mlex sessions attach \(id)`; end it with `exit` or `mlex sessions stop \(id)`.")
                    return
                }
                try await SessionView.attach(id, job: job, client: client, global: global)
            }
        }

        func spec(_ projectID: String) -> JSONValue {
            var endpoint: JSONValue = ["kind": "terminal"]
            if let idleSeconds { endpoint["idleSeconds"] = .int(Int64(idleSeconds)) }
            var spec: JSONValue = ["projectId": .string(projectID), "endpoint": endpoint]
            var resources: JSONValue = [:]
            if let cpus { resources["cpus"] = .double(cpus) }
            if let memoryMB { resources["memoryMB"] = .int(Int64(memoryMB)) }
            if resources != [:] { spec["resources"] = resources }
            if !inputs.isEmpty { spec["inputs"] = .array(inputs.map(JSONValue.string)) }
            for case (let key, let value?) in [("name", name), ("template", template), ("queue", queue)] {
                spec[key] = .string(value)
            }
            return spec
        }
    }

    struct Attach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach this terminal to a session's shell, as docker attach does.",
            discussion: """
                On a terminal, keys go to the shell as they are typed (raw mode, restored
                on exit); `exit` ends the session, Ctrl-] then q detaches and leaves it
                running (Ctrl-] twice sends one Ctrl-]). With stdin a pipe, its text is
                sent as it comes; after its end mlex detaches once the output has been
                quiet for 2 s, or earlier when the shell exits. Exits 0 when the session
                ended or was detached from. A queued session is waited for.
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The session's id.") var session: String

        func validate() throws { try SessionView.requireID(session) }

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let job = try await SessionView.session(session, client: client)
                try await SessionView.attach(session, job: job, client: client, global: global)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "Terminal sessions, running and queued first: yours, or a project's.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "A project (name or id): its sessions rather than yours.") var project: String?
        @Option(help: "At most this many.") var limit = 20

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let projectID: String? = if let project { try await client.projectID(project) } else { nil }
                let jobs = try await client.all(.compute, "/v1/jobs", query: ["projectId": projectID], pageSize: 500)
                let sessions = jobs.filter(SessionView.isSession).enumerated()
                    .sorted { (SessionView.rank($0.element), $0.offset) < (SessionView.rank($1.element), $1.offset) }
                    .prefix(limit).map(\.element)
                if output.json { return Console.json(.array(sessions)) }
                Console.table(
                    ["ID", "NAME", "STATE", "IDLE STOP", "CREATED", "TERMINAL"],
                    sessions.map { job in
                        let id = Console.cell(job["id"])
                        return [
                            id, Console.cell(job["name"]), JobView.state(job),
                            "\(job["spec"]?["endpoint"]?["idleSeconds"]?.intValue ?? 3600) s",
                            Console.cell(job["createdAt"]),
                            job["state"] == "running" ? SessionView.webURL(id, client: client) : "-",
                        ]
                    })
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a session: its shell is stopped and what it wrote to /output saved to its run.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The session's id.") var session: String

        func validate() throws { try SessionView.requireID(session) }

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                _ = try await SessionView.session(session, client: client)
                try await JobView.cancel(session, client: client)
            }
        }
    }
}
