import Crypto
import Foundation
import Platform
import PlatformTesting
import Testing

/// DDL's workflow from a terminal, against the real executables (users, data, compute, one
/// agent on the local executor, the gateway) on embedded backends: every step is the built
/// `mlex` binary run as a separate process, as a user would.
@Suite("mlex end to end", .serialized)
struct CLIEndToEndTests {
    static let gateway: Result<String, any Error> = Result {
        let platform = try LocalPlatform.start()
        stopAtExit(
            try platform.startAgent(
                queue: "default", state: try temporaryDirectory(), node: .init(cpus: 2, memoryMB: 2048, pidsLimit: 64)))
        return try platform.startGateway()
    }

    static let terminal: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]

    /// A registered, logged-in user with a project of its own.
    static func newUser(_ url: String) throws -> (mlex: Mlex, email: String, project: String) {
        let mlex = try Mlex(url: url)
        let email = "cli-\(ID.make().suffix(10))@lab.example".lowercased()
        let registered = try mlex(
            "register", "--email", email, "--name", "Ada", "--password-stdin", stdin: "a long enough pass\n")
        #expect(registered.status == 0, "\(registered.err)")
        let project = "demo-\(ID.make().suffix(8))".lowercased()
        let created = try mlex("projects", "create", project)
        #expect(created.status == 0 && ID.isValid(created.trimmed), "\(created.err)")
        return (mlex, email, project)
    }

    /// Calls `mlex progress --json` until the job is in one of `states`.
    static func poll(_ mlex: Mlex, _ job: String, until states: Set<String>) async throws -> JSONValue {
        for _ in 0..<600 {
            let progress = try mlex("progress", job, "--json")
            #expect(progress.status == 0, "\(progress.err)")
            if let state = progress.json["state"]?.stringValue, states.contains(state) { return progress.json }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("job \(job) never became \(states.sorted())")
        throw POSIXError(.ETIMEDOUT)
    }

    @Test(
        "register, log in, submit a git project with a dataset, follow it, download and verify its outputs",
        .timeLimit(.minutes(5)))
    func ddlWorkflow() async throws {
        let url = try Self.gateway.get()
        let (mlex, email, project) = try Self.newUser(url)
        let config = mlex.home.appendingPathComponent(".config/mlex/config")
        let mode = try #require(
            FileManager.default.attributesOfItem(atPath: config.path)[.posixPermissions] as? NSNumber
        ).intValue
        #expect(mode & 0o777 == 0o600)

        // Sessions: out, refused, back in.
        #expect(try mlex("logout").status == 0)
        let anonymous = try mlex("whoami")
        #expect(anonymous.status == 77, "\(anonymous.err)")
        #expect(anonymous.err.contains("mlex login"))
        let wrong = try mlex("login", "--email", email, "--password-stdin", stdin: "not the password\n")
        #expect(wrong.status == 77)
        #expect(try mlex("login", "--email", email, "--password-stdin", stdin: "a long enough pass\n").status == 0)
        #expect(try mlex("whoami", "--json").json["email"]?.stringValue == email)

        // An access token the server no longer takes is refreshed once, and the new pair saved.
        let saved = try JSONValue.parse(String(contentsOf: config, encoding: .utf8))
        var stale = saved
        stale["accessToken"] = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
        try stale.jsonText.write(to: config, atomically: true, encoding: .utf8)
        #expect(try mlex("whoami", "--json").json["email"]?.stringValue == email)
        let refreshed = try JSONValue.parse(String(contentsOf: config, encoding: .utf8))
        #expect(refreshed["accessToken"] != stale["accessToken"] && refreshed["refreshToken"] != saved["refreshToken"])

        let repository = try TrainingRepository.make(project: project)

        // Only a commit runs: a changed main.py is refused, naming it.
        try "print('dirty')\n".write(
            to: repository.root.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
        let dirty = try mlex("submit", "--task", "task.yaml", in: repository.root)
        #expect(dirty.status == 64 && dirty.err.contains("main.py"), "\(dirty.err)")
        try repository.git("checkout", "--", "main.py")

        let typo = try mlex("submit", "--task", "typo.yaml", in: repository.root)
        #expect(typo.status == 64 && typo.err.contains("did you mean \"resources.memoryMB\""), "\(typo.err)")

        let submitted = try mlex("submit", "--task", "task.yaml", in: repository.root)
        #expect(submitted.status == 0, "\(submitted.err)")
        let job = submitted.trimmed
        #expect(ID.isValid(job), "\(submitted.out)")
        #expect(submitted.err.contains("/api/compute/v1/jobs/\(job)"))

        let done = try await Self.poll(mlex, job, until: Self.terminal)
        #expect(done["state"] == "succeeded", "\(done.jsonText)")
        #expect(done["progress"]?.numberValue == 1)
        let waited = try mlex("progress", "--wait", job)
        #expect(waited.status == 0)
        #expect(waited.out.contains("succeeded") && waited.out.contains("ran for"), "\(waited.out)")

        let logs = try mlex("logs", job)
        #expect(logs.status == 0 && logs.out.contains("trained on 3 rows"), "\(logs.out)")
        #expect(!logs.out.contains("::mlex"))
        let followed = try mlex("logs", "-f", job)
        #expect(followed.status == 0 && followed.out.contains("trained on 3 rows"))

        // Outputs: downloaded, verified, skipped when already there, resumed after a cut.
        let out = try temporaryDirectory()
        let download = try mlex("download", job, "--dest", out.path)
        #expect(download.status == 0, "\(download.err)")
        #expect(
            try String(contentsOf: out.appendingPathComponent("model.txt"), encoding: .utf8) == "weights 6.0 lr 0.01\n")
        let checkpoint = Data((0..<1000).flatMap { _ in (0..<256).map(UInt8.init) })
        #expect(try Data(contentsOf: out.appendingPathComponent("ckpt/last.bin")) == checkpoint)
        #expect(try mlex("download", job, "--dest", out.path).err.contains("(0 downloaded, 2 already there)"))
        try FileManager.default.removeItem(at: out.appendingPathComponent("ckpt/last.bin"))
        try checkpoint.prefix(10_000).write(to: out.appendingPathComponent("ckpt/last.bin.part"))
        let resumed = try mlex("download", job, "--dest", out.path)
        #expect(resumed.status == 0 && resumed.err.contains("(1 downloaded, 1 already there)"), "\(resumed.err)")
        #expect(try Data(contentsOf: out.appendingPathComponent("ckpt/last.bin")) == checkpoint)
        try FileManager.default.removeItem(at: out.appendingPathComponent("ckpt/last.bin"))
        try Data(repeating: 0xFF, count: 10_000).write(to: out.appendingPathComponent("ckpt/last.bin.part"))
        let corrupt = try mlex("download", job, "--dest", out.path)
        #expect(corrupt.status == 65 && corrupt.err.contains("SHA-256"), "\(corrupt.err)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("ckpt/last.bin.part").path))
        #expect(try mlex("download", job, "--dest", out.path).status == 0)
        #expect(try Data(contentsOf: out.appendingPathComponent("ckpt/last.bin")) == checkpoint)

        // The job's run holds its metrics, params, files and dataset input.
        let runID = try #require(done["runId"]?.stringValue)
        let run = try mlex("runs", "show", runID, "--json").json
        #expect(run["status"] == "finished", "\(run.jsonText)")
        #expect(run["metrics"]?["accuracy"]?.numberValue == 0.95)
        #expect(run["metrics"]?["loss"]?.numberValue.map { abs($0 - 0.3333) < 1e-3 } == true)
        #expect(run["params"]?["lr"]?.numberValue == 0.01)
        let files = Set((run["files"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue })
        #expect(files == ["outputs/model.txt", "outputs/ckpt/last.bin"])
        #expect(run["inputs"]?.arrayValue?.count == 1)
        let found = try mlex(
            "runs", "search", "--project", project, "metrics.accuracy > 0.9 and params.lr < 0.1", "--json")
        #expect(found.json.arrayValue?.compactMap { $0["id"]?.stringValue } == [runID], "\(found.out)\(found.err)")
        let listed = try mlex("jobs", "ls", "--project", project, "--json")
        #expect(listed.json.arrayValue?.first?["id"]?.stringValue == job)

        // The same data again: its version is reused, not uploaded twice.
        let again = try mlex("submit", "--task", "task.yaml", in: repository.root)
        #expect(again.status == 0 && again.err.contains("already holds these 1 files"), "\(again.err)")
        #expect(try mlex("cancel", again.trimmed).status == 0)
        let versions = try mlex("datasets", "ls", "--project", project, "--json").json.arrayValue ?? []
        #expect(versions.count == 1)
    }

    @Test("cancel and timeout end jobs with their reasons; --wait exits 1 for them", .timeLimit(.minutes(3)))
    func cancelAndTimeout() async throws {
        let url = try Self.gateway.get()
        let (mlex, _, _) = try Self.newUser(url)
        let repository = try TrainingRepository.make(
            project: try #require(try mlex("projects", "ls", "--json").json.arrayValue?.first?["name"]?.stringValue))

        let sleeper = try mlex("submit", "--task", "sleep.yaml", in: repository.root)
        #expect(sleeper.status == 0, "\(sleeper.err)")
        _ = try await Self.poll(mlex, sleeper.trimmed, until: ["running"])
        #expect(try mlex("cancel", sleeper.trimmed).status == 0)
        let cancelled = try mlex("progress", "--wait", sleeper.trimmed, "--json")
        #expect(cancelled.status == 1)
        #expect(cancelled.json["state"] == "cancelled", "\(cancelled.out)")

        let slow = try mlex("submit", "--task", "timeout.yaml", in: repository.root)
        #expect(slow.status == 0, "\(slow.err)")
        let timedOut = try mlex("progress", "--wait", slow.trimmed, "--json")
        #expect(timedOut.status == 1)
        #expect(timedOut.json["state"] == "timed_out" && timedOut.json["reason"] == "timeout", "\(timedOut.out)")
    }

    @Test("another user cannot see the job; an API token works for scripts", .timeLimit(.minutes(3)))
    func isolationAndTokens() async throws {
        let url = try Self.gateway.get()
        let (owner, _, _) = try Self.newUser(url)
        let repository = try TrainingRepository.make(
            project: try #require(try owner("projects", "ls", "--json").json.arrayValue?.first?["name"]?.stringValue))
        let job = try owner("submit", "--task", "timeout.yaml", in: repository.root).trimmed
        #expect(ID.isValid(job))

        let (stranger, _, _) = try Self.newUser(url)
        #expect(try stranger("progress", job).status == 66)
        #expect(try stranger("logs", job).status == 66)
        #expect(try stranger("cancel", job).status == 66)
        #expect(!(try stranger("jobs", "ls", "--json").out.contains(job)))

        let token = try owner("tokens", "create", "ci")
        #expect(token.status == 0 && token.trimmed.hasPrefix("mlx_"), "\(token.out)")
        let script = try Mlex(url: url)
        #expect(try script("whoami").status == 77)
        let listed = try script("jobs", "ls", "--json", environment: ["MLEX_TOKEN": token.trimmed])
        #expect(listed.status == 0 && listed.out.contains(job), "\(listed.err)")
        let unreachable = try script(
            "whoami", environment: ["MLEX_URL": "http://127.0.0.1:9", "MLEX_TOKEN": token.trimmed])
        #expect(unreachable.status == 69, "\(unreachable.err)")
        _ = try await Self.poll(owner, job, until: Self.terminal)
    }

    @Test("templates: the seeds are listed with their image or host, and shown by name", .timeLimit(.minutes(2)))
    func templates() throws {
        let url = try Self.gateway.get()
        let (user, _, project) = try Self.newUser(url)
        let table = try user("templates", "ls")
        #expect(table.status == 0, "\(table.err)")
        let hostRow = try #require(
            table.out.split(separator: "\n").first { $0.hasPrefix("python-cpu ") }, "\(table.out)")
        #expect(hostRow.contains(" host ") && hostRow.contains("global"), "\(hostRow)")
        let listed = try user("templates", "ls", "--project", project, "--json")
        #expect(
            listed.status == 0 && (listed.json.arrayValue ?? []).contains { $0["name"] == "tensorflow-gpu" },
            "\(listed.err)")
        let shown = try user("templates", "show", "pytorch-gpu")
        #expect(
            shown.status == 0 && shown.out.contains("pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime")
                && shown.out.contains("gpus 1-8"), "\(shown.out) \(shown.err)")
        #expect(try user("templates", "show", "no-such-template").status == 66)
    }
}
