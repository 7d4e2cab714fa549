import Foundation
import Platform
import PlatformTesting
import Testing

extension CLIEndToEndTests {
    @Test(
        "CLISession: open a terminal session with a dataset, attach with a pipe until exit, the run has /output; listed; another user refused",
        .timeLimit(.minutes(4)))
    func terminalSession() async throws {
        let url = try Self.gateway.get()
        let (mlex, _, project) = try Self.newUser(url)
        let data = try temporaryDirectory()
        try "a\nb\nc\n".write(to: data.appendingPathComponent("rows.csv"), atomically: true, encoding: .utf8)
        let pushed = try mlex("datasets", "push", "--project", project, "--name", "rows", data.path)
        #expect(pushed.status == 0, "\(pushed.err)")
        let version = pushed.trimmed

        #expect(try mlex("session", "open", "--project", project, "--idle-seconds", "5", "--detach").status == 65)
        let opened = try mlex(
            "session", "open", "--detach", "--project", project, "--name", "explore", "--input", version, "--cpus",
            "0.5", "--memory-mb", "256", "--idle-seconds", "600")
        #expect(opened.status == 0, "\(opened.err)")
        let id = opened.trimmed
        #expect(ID.isValid(id), "\(opened.out)")
        #expect(opened.err.contains("\(url)/jobs/\(id)/terminal"), "\(opened.err)")

        // Listed, running, with its page.
        let table = try mlex("sessions", "ls", "--project", project)
        #expect(table.status == 0, "\(table.err)")
        let row = try #require(table.out.split(separator: "\n").first { $0.hasPrefix(id) }, "\(table.out)")
        #expect(row.contains("explore") && row.contains("running") && row.contains("600 s"), "\(row)")
        #expect(row.hasSuffix("\(url)/jobs/\(id)/terminal"), "\(row)")

        // Another user cannot attach to it, nor stop it.
        let (stranger, _, _) = try Self.newUser(url)
        let refused = try stranger("session", "attach", id)
        #expect(refused.status == 66 && refused.err.contains(id), "\(refused.err)")
        #expect(try stranger("session", "stop", id).status == 66)
        #expect(try mlex("session", "attach", "not-an-id").status == 64)

        // A pipe's commands run in the shell; `exit` ends the session and mlex with 0.
        let attached = try mlex(
            "session", "attach", id, stdin: "wc -l < /data/rows.csv > /output/lines.txt; echo done-$((6*7)); exit\n")
        #expect(attached.status == 0, "\(attached.err)")
        #expect(attached.out.contains("done-42"), "\(attached.out)")
        #expect(
            attached.err.contains("Session \(id) ended") && attached.err.contains("mlex download \(id)"),
            "\(attached.err)")

        let ended = try await Self.poll(mlex, id, until: Self.terminal)
        #expect(ended["state"] == "succeeded", "\(ended.jsonText)")
        let runID = try #require(ended["runId"]?.stringValue)
        let run = try mlex("runs", "show", runID, "--json").json
        let files = Set((run["files"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue })
        #expect(files == ["outputs/lines.txt"], "\(run.jsonText)")
        let out = try temporaryDirectory()
        #expect(try mlex("download", id, "--dest", out.path).status == 0)
        #expect(try String(contentsOf: out.appendingPathComponent("lines.txt"), encoding: .utf8) == "3\n")

        // Ended: listed after running ones; attaching says it ended. `stop` cancels one.
        let late = try mlex("session", "attach", id)
        #expect(late.status == 65 && late.err.contains("has ended"), "\(late.err)")
        let second = try mlex("session", "open", "--detach", "--project", project, "--cpus", "0.25")
        #expect(second.status == 0, "\(second.err)")
        let listed = try mlex("sessions", "ls", "--json")
        #expect(listed.json.arrayValue?.map { $0["id"] } == [.string(second.trimmed), .string(id)], "\(listed.out)")
        let stopped = try mlex("sessions", "stop", second.trimmed)
        #expect(stopped.status == 0, "\(stopped.err)")
        #expect(try await Self.poll(mlex, second.trimmed, until: Self.terminal)["state"] == "cancelled")
    }
}
