import Foundation
import Platform
import PlatformTesting
import Testing

/// A git project serving PlatformTesting's tiny model: `serve.py` answers `POST /invocations
/// {"inputs": [{"x": n}…]}` with `{"predictions": [2n…]}` on `$MLEX_ENDPOINT_SOCKET`.
enum ServingRepository {
    static func make(project: String) throws -> TrainingRepository {
        let root = try temporaryDirectory()
        let files = [
            "serve.py": EndpointModelServer.script + "\n",
            "serve.yaml": """
            project: \(project)
            name: doubler
            command: [/usr/bin/python3, serve.py]
            resources: {cpus: 0.25, memoryMB: 128}
            timeoutSeconds: 60

            """,
            "schema.json": """
            {"type": "object", "properties": {"x": {"type": "number", "minimum": -1000, "maximum": 1000}},
             "required": ["x"]}

            """,
            "wide.yaml": "project: \(project)\ncommand: [/usr/bin/python3, serve.py]\nworker_required: 2\n",
        ]
        for (name, text) in files {
            try text.write(to: root.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let repository = TrainingRepository(root: root)
        try repository.git("init", "-q")
        try repository.git("add", ".")
        try repository.git("commit", "-q", "-m", "tiny server")
        return repository
    }
}

extension CLIEndToEndTests {
    @Test(
        "serve a git project as a deployment: its URL answers, listed, shown with its replicas running, stopped",
        .timeLimit(.minutes(4)))
    func serveListShowStop() async throws {
        let url = try Self.gateway.get()
        let (mlex, _, project) = try Self.newUser(url)
        let repository = try ServingRepository.make(project: project)

        // What cannot be served is refused before anything is created.
        let wide = try mlex("serve", "--task", "wide.yaml", in: repository.root)
        #expect(wide.status == 64 && wide.err.contains("one worker"), "\(wide.err)")
        let many = try mlex("serve", "--task", "serve.yaml", "--replicas", "17", in: repository.root)
        #expect(many.status == 65 && many.err.contains("field replicas"), "\(many.err)")
        let noSchema = try mlex("serve", "--task", "serve.yaml", "--input-schema", "missing.json", in: repository.root)
        #expect(noSchema.status == 64, "\(noSchema.err)")

        let served = try mlex(
            "serve", "--task", "serve.yaml", "--replicas", "2", "--idle-seconds", "600", "--input-schema",
            "schema.json", in: repository.root)
        #expect(served.status == 0, "\(served.err)")
        let id = served.trimmed
        #expect(ID.isValid(id), "\(served.out)")
        let endpoint = "\(url)/deployments/\(id)/"
        #expect(served.err.contains(endpoint), "\(served.err)")
        #expect(served.err.contains("timeoutSeconds left out"), "\(served.err)")

        // Listed (the table and JSON), by project and as the caller's own.
        let table = try mlex("deployments", "--project", project)
        #expect(table.status == 0, "\(table.err)")
        let lines = table.out.split(separator: "\n")
        #expect(lines.first?.hasPrefix("ID") == true && lines.first?.contains("REPLICAS") == true, "\(table.out)")
        let row = try #require(lines.first { $0.hasPrefix(id) }, "\(table.out)")
        #expect(row.contains("doubler") && row.contains("active") && row.hasSuffix(endpoint), "\(row)")
        let mine = try mlex("deployments", "ls", "--json")
        #expect(mine.json.arrayValue?.compactMap { $0["id"]?.stringValue } == [id], "\(mine.out)")

        // Shown until both replicas run; then the printed URL answers, checked against the schema.
        var view: JSONValue = .null
        for _ in 0..<300 {
            view = try mlex("deployment", "show", id, "--json").json
            let states = view["replicas"]?.arrayValue?.compactMap { $0["state"]?.stringValue }
            if states == ["running", "running"] { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(view["spec"]?["idleSeconds"] == 600 && view["spec"]?["inputSchema"]?["required"] == ["x"])
        #expect(view["spec"]?["codePackage"]?.stringValue?.hasPrefix("code/") == true, "\(view.jsonText)")
        let shown = try mlex("deployment", "show", id)
        #expect(shown.status == 0, "\(shown.err)")
        #expect(shown.out.contains("2/2 running") && shown.out.contains(endpoint), "\(shown.out)")
        #expect(shown.out.contains("after 600 s without a request"), "\(shown.out)")
        for job in view["replicaJobs"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            #expect(shown.out.contains("job \(job) running"), "\(shown.out)")
        }

        let config = try JSONValue.parse(
            String(contentsOf: mlex.home.appendingPathComponent(".config/mlex/config"), encoding: .utf8))
        let token = config["accessToken"]?.stringValue
        let answered = try await httpCall(endpoint + "invocations", "POST", ["inputs": [["x": 21]]], token: token)
        #expect(answered.status == 200 && answered.body["predictions"] == [42], "\(answered.body.jsonText)")
        let refused = try await httpCall(endpoint + "invocations", "POST", ["inputs": [["x": "two"]]], token: token)
        #expect(refused.status == 400 && refused.body["error"]?["field"] == "inputs.0.x", "\(refused.body.jsonText)")

        let stopped = try mlex("deployment", "stop", id)
        #expect(stopped.status == 0 && stopped.err.contains("stopped"), "\(stopped.err)")
        let after = try mlex("deployments", "show", id, "--json").json
        #expect(after["state"] == "stopped" && after["replicaJobs"] == [], "\(after.jsonText)")
        let gone = try await httpCall(endpoint + "invocations", "POST", ["inputs": [["x": 1]]], token: token)
        #expect(gone.status == 503, "\(gone.body.jsonText)")

        // Another user sees none of it.
        let (stranger, _, _) = try Self.newUser(url)
        #expect(try stranger("deployment", "show", id).status == 66)
        #expect(try stranger("deployment", "stop", id).status == 66)
        #expect(try stranger("deployments", "--json").json == [])
        #expect(try mlex("deployment", "show", "not-an-id").status == 64)
    }
}
