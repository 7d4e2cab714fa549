import Foundation
import Platform
import PlatformTesting
import Testing

/// Schemathesis (pinned in config/python-tools.txt, installed into .venv by `make deps`) sends
/// each service's own OpenAPI document's operations, with generated and boundary inputs, to the
/// real processes: straight to users, data, compute, ingest, mlhub and tag, and through the
/// gateway to data and users. Only `not_a_server_error` is checked: no 5xx, no dropped
/// connection, whatever the input. Every run is bounded (cases per operation, a fixed seed) and
/// is followed by a health check of the processes it hit. Two runs go at a time (`runsAtOnce`).
///
/// The platform is this suite's own, users included: fuzzing POST /v1/sessions trips the login
/// throttle of 127.0.0.1, which must not reach the shared users service other suites sign in to.
@Suite("Schemathesis over every service's OpenAPI document")
struct SchemathesisTests {
    struct Target: Sendable, CustomStringConvertible {
        let description: String
        let service: ServiceName
        var throughGateway = false
        /// Schemathesis's `--max-examples`: fuzzed cases per operation. Its coverage phase adds
        /// the boundary cases of each operation on top, unbounded by this but finite.
        let maxExamples: Int
        var filters: [String] = []
        /// A throwaway account's token instead of an owner's: these operations end it.
        var throwaway = false
    }

    /// Operations that end the token they are called with: the session's own logout, and team
    /// changes that make services refuse the members' older tokens (deleting a team the caller
    /// created, changing or removing its own membership). The runs with an owner's token leave
    /// them out, or that token dies mid-run and every later case is a 401; two runs of their own
    /// cover them with throwaway accounts.
    static let endsOwnToken = [
        "DELETE /v1/sessions/current", "DELETE /v1/teams/{id}",
        "PUT /v1/teams/{id}/members/{userId}", "DELETE /v1/teams/{id}/members/{userId}",
    ]

    /// Longest first, so that the two runs at a time (`runsAtOnce`) end close together.
    static let targets: [Target] = [
        // The gateway forwards data's 161 operations unread: each gets its whole coverage phase
        // (every method, missing and malformed bodies and content types, wrong types in paths
        // and queries) through it, but 2 fuzzed cases, not 5: data's own run fuzzes them with 5.
        Target(description: "data through the gateway", service: .data, throughGateway: true, maxExamples: 2),
        Target(description: "data", service: .data, maxExamples: 5),
        Target(description: "mlhub", service: .mlhub, maxExamples: 10),
        Target(description: "compute", service: .compute, maxExamples: 10),
        Target(
            description: "users", service: .users, maxExamples: 10,
            filters: endsOwnToken.flatMap { ["--exclude-name", $0] }),
        Target(
            description: "users through the gateway", service: .users, throughGateway: true, maxExamples: 10,
            filters: endsOwnToken.flatMap { ["--exclude-name", $0] }
        ),
        Target(description: "tag", service: .tag, maxExamples: 20),
        Target(description: "ingest", service: .ingest, maxExamples: 20),
        Target(
            description: "users' teams, as a throwaway account", service: .users, maxExamples: 10,
            filters: ["--include-path-regex", "^/v1/teams"], throwaway: true),
        Target(
            description: "users' logout, as a throwaway account", service: .users, maxExamples: 10,
            filters: ["--include-name", "DELETE /v1/sessions/current"], throwaway: true),
    ]

    /// Runs at a time: one keeps about one core busy (schemathesis, in Python, half of it; the
    /// service the other half, each waiting on the other), so two fill this 2-core machine.
    static let runsAtOnce = RunSlots(2)

    /// Seconds one run may take before it is stopped and the test fails.
    static let runLimit: TimeInterval = 300

    struct Cluster: Sendable {
        let platform: LocalPlatform
        let gatewayURL: String
        /// Base URL and state directory (for its log) of the services started here.
        let others: [ServiceName: (url: String, state: URL)]

        func url(of service: ServiceName) -> String {
            switch service {
            case .users: platform.users.url
            case .data: platform.dataURL
            case .compute: platform.computeURL
            default: others[service]!.url
            }
        }
    }

    static let cluster = Result {
        let platform = try LocalPlatform.start(users: try UsersServer.start(bus: nil))
        var others: [ServiceName: (url: String, state: URL)] = [:]
        for service in [ServiceName.tag, .mlhub, .ingest] {
            let state = try temporaryDirectory()
            let started = try platform.startService(service, state: state)
            stopAtExit(started.pid)
            others[service] = (started.url, state)
        }
        return Cluster(platform: platform, gatewayURL: try platform.startGateway(), others: others)
    }

    /// Every run's account, made before any run: once users' run has fuzzed POST /v1/sessions,
    /// 127.0.0.1 may not log in for a quarter of an hour. Owners get a project each, which the
    /// runs put in `{id}` of /v1/projects/{id}/… and in `projectId` half of the time.
    static let accounts = Task { () -> [String: (token: String, project: String?)] in
        let platform = try cluster.get().platform
        var accounts: [String: (token: String, project: String?)] = [:]
        for target in targets {
            if target.throwaway {
                accounts[target.description] = (
                    try await platform.users.signUp("fuzz-\(ID.make().suffix(12))@lab.example").token, nil
                )
            } else {
                let owner = try await platform.newOwner("fuzz")
                accounts[target.description] = (owner.token, owner.project)
            }
        }
        return accounts
    }

    @Test("no generated request gets a 5xx or a broken answer, and the processes live on", arguments: targets)
    func noServerErrors(target: Target) async throws {
        let schemathesis = repositoryRoot().appendingPathComponent(".venv/bin/schemathesis")
        try #require(
            FileManager.default.isExecutableFile(atPath: schemathesis.path),
            "\(schemathesis.path) is missing: run `make deps` (it installs config/python-tools.txt into .venv)"
        )
        let cluster = try Self.cluster.get()
        let account = try #require(try await Self.accounts.value[target.description])
        let serviceURL = cluster.url(of: target.service)
        let base = target.throughGateway ? "\(cluster.gatewayURL)/api/\(target.service.rawValue)" : serviceURL

        let directory = try temporaryDirectory()
        let config = directory.appendingPathComponent("schemathesis.toml")
        try Self.configuration(project: account.project, inPaths: Self.projectPaths.contains(target.service)).write(
            to: config, atomically: true, encoding: .utf8)
        let arguments =
            [
                "--config-file", config.path, "run", "\(base)/openapi.json", "--url", base,
                "--header", "Authorization: Bearer \(account.token)",
                "--checks", "not_a_server_error",
                // The same inputs on every run (the ids the services make differ, so not the same answers).
                "--max-examples", String(target.maxExamples), "--seed", "20261203",
                "--workers", "1", "--generation-database", "none", "--no-color",
            ] + target.filters

        let order = Self.targets.firstIndex { $0.description == target.description } ?? Self.targets.count
        let (status, output, seconds) = try await Self.runsAtOnce.holding(order: order) {
            let started = Date()
            let (status, output) = try await Self.run(schemathesis, arguments, in: directory)
            return (status, output, Date().timeIntervalSince(started))
        }
        let cases = output.firstMatch(of: /(\d+) generated/).map { String($0.1) } ?? "?"
        // Each phase's time, as schemathesis prints it ("Coverage (in 26.55s)"): where a run's time goes.
        let phases = output.matches(of: /(Coverage|Fuzzing|Stateful) \(in ([\d.]+)s\)/).map {
            "\($0.1.lowercased()) \($0.2) s"
        }
        print(
            "schemathesis, \(target.description): \(cases) cases in \(String(format: "%.1f", seconds)) s "
                + "(\(phases.joined(separator: ", "))), exit status \(status.map(String.init) ?? "none (stopped)")"
        )

        var report = Self.report(output)
        if let state = cluster.others[target.service]?.state {
            report += Self.problems(inLog: state.appendingPathComponent("service.log"))
        }
        if let status {
            // 1: a 5xx, or an answer that broke off (a Network Error); else schemathesis itself failed.
            #expect(
                status == 0,
                "schemathesis found server errors in \(target.description) (exit status \(status)):\n\(report)")
        } else {
            Issue.record("schemathesis did not finish within \(Int(Self.runLimit)) s:\n\(report)")
        }
        #expect(output.contains("Test cases:"), "schemathesis tested nothing:\n\(report)")

        for url in target.throughGateway ? [cluster.gatewayURL, serviceURL] : [serviceURL] {
            let health = try await withRetries(20) { try await httpCall(url + "/health", "GET", token: nil) }
            #expect(health.status == 200, "\(url) answers its health check after the run")
        }
        if !target.throwaway {
            // Else a run ended its own token: every case after it was a mere 401.
            let me = try await httpCall(cluster.platform.users.url + "/v1/users/me", "GET", token: account.token)
            #expect(
                me.status == 200,
                "the run's token still works after it (an operation that ends it must be excluded): \(me.body.jsonText)"
            )
        }
    }

    /// The services whose documents have /v1/projects/{id}/… operations.
    static let projectPaths: Set<ServiceName> = [.data, .mlhub, .tag]

    /// The run's settings beyond the command line: 30 s for each case's answer, no crash cache
    /// (each run starts afresh), and the owner's project as a value schemathesis may use, half of
    /// the time, for `projectId` and (`inPaths`) for `{id}` of /v1/projects/{id}/….
    ///
    /// The top-level timeout, 2 s, is only for schemathesis's probes before the cases (the
    /// operations' own 30 s applies to every case, stateful ones included). Compute and the
    /// gateway once never answered its probe, a GET with a NUL byte in a header (fixed in
    /// 075a4ae: 400), and each of their three runs waited the whole timeout for it, 90 s in all;
    /// the short bound stays so that such a hang costs seconds. A probe that times out is skipped.
    static func configuration(project: String?, inPaths: Bool) -> String {
        var text = """
            request-timeout = 2

            [[operations]]
            include-path-regex = "^/"
            request-timeout = 30

            [cache]
            enabled = false

            """
        guard let project else { return text }
        text += #"""

            [dictionaries.project]
            values = ["\#(project)"]

            [parameters]
            "query.projectId" = { dictionary = "project", probability = 0.5 }
            "body.projectId" = { dictionary = "project", probability = 0.5 }

            """#
        if inPaths {
            text += #"""

                [[operations]]
                include-path-regex = "^/v1/projects/\\{id\\}"
                parameters = { "path.id" = { dictionary = "project", probability = 0.5 } }

                """#
        }
        return text
    }

    /// Runs `executable` in `directory` (schemathesis writes there, not in the checkout), its
    /// output in a file so no pipe fills up; the exit status, nil when it ran out of time.
    static func run(
        _ executable: URL, _ arguments: [String], in directory: URL
    ) async throws -> (status: Int32?, output: String) {
        let log = directory.appendingPathComponent("schemathesis.out")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging([
            "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "COLUMNS": "120",
        ]) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(runLimit)
        while process.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        var finished = true
        if process.isRunning {
            finished = false
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let output = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
        return (finished ? process.terminationStatus : nil, output)
    }

    /// Schemathesis's FAILURES and ERRORS sections (each failing operation, what came back and
    /// the curl that reproduces it) and its summary; the tail of the output when it has none.
    static func report(_ output: String) -> String {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        func banner(_ line: Substring, _ names: String...) -> Bool {
            line.hasPrefix("===") && names.contains { line.contains(" \($0) ") }
        }
        var kept: [Substring] = []
        var keeping = false
        for line in lines {
            if banner(line, "FAILURES", "ERRORS", "SUMMARY") {
                keeping = true
            } else if banner(line, "WARNINGS") {
                keeping = false
            }
            if keeping { kept.append(line) }
        }
        return (kept.isEmpty ? Array(lines.suffix(80)) : kept).joined(separator: "\n")
    }

    /// The last warnings and errors a service logged (a 5xx is logged as an error, with its
    /// cause): what the reader of a failure wants beside schemathesis's report. Only the services
    /// started here have a known log; LocalPlatform keeps data's and compute's to itself.
    static func problems(inLog log: URL) -> String {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return "" }
        let lines = text.split(separator: "\n").filter {
            $0.contains(" error ") || $0.contains(" critical ") || $0.contains(" warning ")
        }
        return lines.isEmpty
            ? "" : "\n--- warnings and errors in \(log.path) ---\n" + lines.suffix(40).joined(separator: "\n")
    }
}

/// At most `limit` runs at once. A freed slot goes to the waiting run that comes first in the
/// list (`order`), not to the first to ask: Swift Testing starts a test's arguments in no set
/// order, and the longest runs must not be left to the end, one beside nothing.
actor RunSlots {
    private var free: Int
    private var waiting: [(order: Int, resume: CheckedContinuation<Void, Never>)] = []

    init(_ limit: Int) { free = limit }

    func holding<T: Sendable>(order: Int, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(order: order)
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }

    private func acquire(order: Int) async {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiting.append((order, $0)) }
        }
    }

    private func release() {
        guard let next = waiting.indices.min(by: { waiting[$0].order < waiting[$1].order }) else {
            free += 1
            return
        }
        waiting.remove(at: next).resume.resume()
    }
}
