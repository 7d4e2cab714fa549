import Foundation
import Platform
import PlatformTesting
import Testing

/// Configuration templates through the real services: seeds, who may see and manage which,
/// their checks, and jobs that name one. Jobs run on an agent of their own (queue `templates`)
/// so they never take the capacity the other suites count on.
@Suite("compute: templates", .serialized)
struct TemplateTests {
    static let queue = "templates"
    static let seeds = ["python-cpu", "python-gpu", "pytorch-cpu", "pytorch-gpu", "tensorflow-cpu", "tensorflow-gpu"]

    private static let agent: Result<Void, any Error> = Result {
        let cluster = try ComputeCluster.shared()
        stopAtExit(
            try cluster.platform.startAgent(
                queue: queue, state: try temporaryDirectory(), node: .init(cpus: 2, memoryMB: 4096, pidsLimit: 64)))
    }

    /// The shared cluster with this suite's agent online.
    static func cluster(token: String) async throws -> ComputeCluster {
        let cluster = try ComputeCluster.shared()
        try agent.get()
        try await cluster.waitForNode(queue: queue, token: token)
        return cluster
    }

    static func adminToken(_ cluster: ComputeCluster) async throws -> String {
        try await cluster.users.signIn(UsersServer.adminEmail, password: UsersServer.adminPassword)
    }

    static func unique(_ prefix: String) -> String { "\(prefix)-\(ID.make().suffix(10))".lowercased() }

    /// A template on the node's own system; `extra` replaces or adds fields.
    static func hostTemplate(_ name: String, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var body: [String: JSONValue] = ["name": .string(name), "runtime": "host"]
        for (key, value) in extra { body[key] = value }
        return .object(body)
    }

    @Test("the seeds are listed for every user and read by name; strangers to the API get 401")
    func seedsForEveryone() async throws {
        let cluster = try ComputeCluster.shared()
        let user = try await cluster.newOwner()
        let listed = try await cluster.compute("GET", "/v1/templates?limit=500", token: user.token)
        #expect(listed.status == 200)
        let items = listed.body["items"]?.arrayValue ?? []
        let names = Set(items.compactMap { $0["name"]?.stringValue })
        #expect(names.isSuperset(of: Self.seeds), "\(names)")

        let host = try #require(items.first { $0["name"] == "python-cpu" })
        #expect(host["runtime"] == "host" && host["image"] == nil && host["projectId"] == nil)
        #expect(host["env"]?["PYTHONDONTWRITEBYTECODE"] == "1")
        let gpu = try await cluster.compute("GET", "/v1/templates/pytorch-gpu", token: user.token)
        #expect(
            gpu.status == 200 && gpu.body["image"] == "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime", "\(gpu.body)")
        #expect(gpu.body["defaultResources"]?["gpus"] == 1 && gpu.body["ranges"]?["gpus"] == ["min": 1, "max": 8])

        let page = try await cluster.compute("GET", "/v1/templates?limit=2", token: user.token).body
        let next = try #require(page["nextAfter"]?.stringValue)
        let rest = try await cluster.compute("GET", "/v1/templates?limit=500&after=\(next)", token: user.token).body
        #expect((page["items"]?.arrayValue ?? []).count + (rest["items"]?.arrayValue ?? []).count == items.count)

        #expect(try await cluster.compute("GET", "/v1/templates/no-such-template", token: user.token).status == 404)
        #expect(try await cluster.compute("GET", "/v1/templates", token: nil).status == 401)
    }

    @Test("admins manage global templates, owners their project's; strangers cannot see a project's; names are unique")
    func rights() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let stranger = try await cluster.newOwner()
        let admin = try await Self.adminToken(cluster)

        let global = Self.unique("global")
        let refused = try await cluster.compute("POST", "/v1/templates", Self.hostTemplate(global), token: owner.token)
        #expect(refused.status == 403, "\(refused.body)")
        let created = try await cluster.compute(
            "POST", "/v1/templates", Self.hostTemplate(global, ["description": "for all"]), token: admin)
        #expect(created.status == 201 && created.body["createdBy"]?.stringValue != nil, "\(created.body)")
        #expect(
            created.body["defaultResources"] == ["cpus": 1, "memoryMB": 1024, "gpus": 0],
            "unset defaults are the platform's")

        let mine = Self.unique("mine")
        let body = Self.hostTemplate(mine, ["projectId": .string(owner.project)])
        let made = try await cluster.compute("POST", "/v1/templates", body, token: owner.token)
        #expect(made.status == 201, "\(made.body)")
        #expect(
            try await cluster.compute("POST", "/v1/templates", body, token: stranger.token).status == 404,
            "not the stranger's project")
        let duplicate = try await cluster.compute("POST", "/v1/templates", Self.hostTemplate(mine), token: admin)
        #expect(duplicate.status == 409 && duplicate.body["error"]?["field"] == "name", "\(duplicate.body)")
        #expect(
            try await cluster.compute("POST", "/v1/templates", Self.hostTemplate("python-cpu"), token: admin).status
                == 409)

        #expect(try await cluster.compute("GET", "/v1/templates/\(mine)", token: owner.token).status == 200)
        #expect(try await cluster.compute("GET", "/v1/templates/\(mine)", token: stranger.token).status == 404)
        #expect(try await cluster.compute("GET", "/v1/templates/\(global)", token: stranger.token).status == 200)
        func names(_ token: String, _ query: String = "") async throws -> Set<String> {
            let items =
                try await cluster.compute("GET", "/v1/templates?limit=500\(query)", token: token).body["items"]?
                .arrayValue ?? []
            return Set(items.compactMap { $0["name"]?.stringValue })
        }
        #expect(try await names(owner.token).isSuperset(of: [mine, global, "python-cpu"]))
        #expect(try await names(owner.token, "&projectId=\(owner.project)").isSuperset(of: [mine, global]))
        #expect(try await !names(stranger.token).contains(mine))
        #expect(try await !names(stranger.token, "&projectId=\(stranger.project)").contains(mine))
        #expect(
            try await cluster.compute("GET", "/v1/templates?projectId=\(owner.project)", token: stranger.token).status
                == 404)

        let replaced = try await cluster.compute(
            "PUT", "/v1/templates/\(mine)",
            Self.hostTemplate(
                mine,
                [
                    "projectId": .string(owner.project), "setup": ["echo hi"], "defaultResources": ["cpus": 0.5],
                ]), token: owner.token)
        #expect(
            replaced.status == 200 && replaced.body["setup"] == ["echo hi"]
                && replaced.body["defaultResources"]?["cpus"] == 0.5, "\(replaced.body)")
        #expect(
            replaced.body["id"] == made.body["id"] && replaced.body["createdAt"] == made.body["createdAt"],
            "a replacement keeps its id and creation")
        let renamed = try await cluster.compute(
            "PUT", "/v1/templates/\(mine)", Self.hostTemplate("other", ["projectId": .string(owner.project)]),
            token: owner.token)
        #expect(renamed.status == 400 && renamed.body["error"]?["field"] == "name")
        #expect(
            try await cluster.compute("PUT", "/v1/templates/\(mine)", Self.hostTemplate(mine), token: owner.token)
                .status == 403, "making it global needs an admin")
        #expect(
            try await cluster.compute("PUT", "/v1/templates/\(global)", Self.hostTemplate(global), token: owner.token)
                .status == 403)
        #expect(
            try await cluster.compute(
                "PUT", "/v1/templates/\(global)", Self.hostTemplate(global, ["description": "changed"]), token: admin
            ).body["description"] == "changed")

        #expect(try await cluster.compute("DELETE", "/v1/templates/\(mine)", token: stranger.token).status == 404)
        #expect(try await cluster.compute("DELETE", "/v1/templates/\(global)", token: owner.token).status == 403)
        #expect(try await cluster.compute("DELETE", "/v1/templates/\(mine)", token: owner.token).status == 204)
        #expect(try await cluster.compute("DELETE", "/v1/templates/\(global)", token: admin).status == 204)
        #expect(try await cluster.compute("GET", "/v1/templates/\(global)", token: admin).status == 404)
    }

    @Test("every bad field is refused with 400 naming it")
    func badFields() async throws {
        let cluster = try ComputeCluster.shared()
        let admin = try await Self.adminToken(cluster)
        func refused(_ body: JSONValue, _ field: String) async throws {
            let answer = try await cluster.compute("POST", "/v1/templates", body, token: admin)
            #expect(
                answer.status == 400 && answer.body["error"]?["field"]?.stringValue == field, "\(body): \(answer.body)")
        }
        let name = Self.unique("bad")
        try await refused(Self.hostTemplate("Not A Name"), "name")
        try await refused(["name": .string(name)], "image")
        try await refused(Self.hostTemplate(name, ["image": "python:3.12"]), "runtime")
        try await refused(Self.hostTemplate(name, ["runtime": "vm"]), "runtime")
        try await refused(["name": .string(name), "image": "Python:3.12"], "image")
        try await refused(Self.hostTemplate(name, ["setup": ["echo ok", " "]]), "setup.1")
        try await refused(Self.hostTemplate(name, ["setup": "echo ok"]), "setup")
        try await refused(Self.hostTemplate(name, ["env": ["1BAD": "x"]]), "env.1BAD")
        try await refused(Self.hostTemplate(name, ["env": ["MLEX_RUN_ID": "x"]]), "env.MLEX_RUN_ID")
        try await refused(Self.hostTemplate(name, ["projectId": "not-an-id"]), "projectId")
        try await refused(Self.hostTemplate(name, ["defaultResources": ["cpus": "many"]]), "defaultResources.cpus")
        try await refused(Self.hostTemplate(name, ["defaultResources": ["memoryMB": 1]]), "defaultResources.memoryMB")
        try await refused(Self.hostTemplate(name, ["defaultResources": ["cpus": 0.001]]), "defaultResources.cpus")
        try await refused(Self.hostTemplate(name, ["defaultResources": ["diskMB": 8]]), "defaultResources.diskMB")
        try await refused(Self.hostTemplate(name, ["ranges": ["diskMB": ["min": 1]]]), "ranges.diskMB.min")
        // A disk range needs a disk default: the platform's (mlex.compute.defaultDiskMb, 10240) is outside it.
        try await refused(Self.hostTemplate(name, ["ranges": ["diskMB": ["max": 4096]]]), "defaultResources.diskMB")
        try await refused(Self.hostTemplate(name, ["ranges": ["cpus": ["min": 4, "max": 2]]]), "ranges.cpus.min")
        try await refused(
            Self.hostTemplate(name, ["ranges": ["memoryMB": ["max": 1_000_000_000]]]), "ranges.memoryMB.max")
        try await refused(Self.hostTemplate(name, ["ranges": ["gpus": ["min": -1]]]), "ranges.gpus.min")
        try await refused(
            Self.hostTemplate(name, ["defaultResources": ["memoryMB": 8192], "ranges": ["memoryMB": ["max": 4096]]]),
            "defaultResources.memoryMB")
        // A GPU range needs GPU defaults: the platform's default of 0 GPUs is outside it.
        try await refused(Self.hostTemplate(name, ["ranges": ["gpus": ["min": 1, "max": 8]]]), "defaultResources.gpus")
        #expect(
            try await cluster.compute("GET", "/v1/templates/\(name)", token: admin).status == 404,
            "nothing refused was stored")
    }

    @Test(
        "a job on a host template gets its defaults and environment, and its setup runs first; a rerun may switch templates"
    )
    func jobOnHostTemplate() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try await Self.cluster(token: owner.token)
        let name = Self.unique("host")
        let template = Self.hostTemplate(
            name,
            [
                "projectId": .string(owner.project),
                "setup": ["echo setting up", "echo from-setup > setup.txt", "export FROM_SETUP=yes"],
                "env": ["GREETING": "hello", "CHOSEN": "template"],
                "defaultResources": ["cpus": 0.5, "memoryMB": 384, "diskMB": 512],
                "ranges": ["cpus": ["max": 1], "memoryMB": ["min": 128, "max": 512]],
            ])
        #expect(try await cluster.compute("POST", "/v1/templates", template, token: owner.token).status == 201)

        let script = """
            import os, sys
            print("argv", sys.argv[1:])
            for key in ["GREETING", "CHOSEN", "FROM_SETUP"]: print(key + "=" + os.environ.get(key, "-"))
            print("setup=" + open("setup.txt").read().strip())
            """
        let spec: JSONValue = [
            "projectId": .string(owner.project), "template": .string(name), "queue": .string(Self.queue),
            "command": ["/usr/bin/python3", "-c", .string(script), "two words", "$HOME"], "env": ["CHOSEN": "job"],
        ]
        let jobID = try await cluster.submit(spec, token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText) \(lines)")
        #expect(job["template"] == .string(name) && job["image"] == nil)
        #expect(
            job["resources"] == ["cpus": 0.5, "memoryMB": 384, "gpus": 0, "diskMB": 512],
            "the template's defaults: \(job["resources"] ?? .null)")
        #expect(
            job["spec"]?["resources"] == nil && job["spec"]?["template"] == .string(name), "the spec stays as given")
        let setupAt = try #require(lines.firstIndex(of: "setting up"), "\(lines)")
        #expect(setupAt < (lines.firstIndex { $0.hasPrefix("argv") } ?? 0), "setup runs before the command: \(lines)")
        #expect(lines.contains("argv ['two words', '$HOME']"), "argv is passed untouched: \(lines)")
        #expect(
            lines.contains("GREETING=hello") && lines.contains("CHOSEN=job") && lines.contains("FROM_SETUP=yes")
                && lines.contains("setup=from-setup"), "\(lines)")

        // A rerun switching to a template whose setup fails: the job fails and the log says which step.
        let failing = Self.unique("failing")
        #expect(
            try await cluster.compute(
                "POST", "/v1/templates",
                Self.hostTemplate(
                    failing, ["projectId": .string(owner.project), "setup": ["true", "sh -c 'exit 3'"]]),
                token: owner.token
            ).status == 201)
        let rerun = try await cluster.compute(
            "POST", "/v1/jobs/\(jobID)/rerun", ["template": .string(failing)], token: owner.token)
        #expect(rerun.status == 201 && rerun.body["template"] == .string(failing), "\(rerun.body)")
        let rerunID = try #require(rerun.body["id"]?.stringValue)
        let failed = try await cluster.finished(rerunID, token: owner.token)
        let failedLines = try await cluster.logLines(rerunID, token: owner.token)
        #expect(failed["state"] == "failed" && failed["exitCode"] == 3, "\(failed.jsonText)")
        #expect(
            failedLines.contains("mlex: setup command 2 failed with status 3")
                && !failedLines.contains("GREETING=hello"), "\(failedLines)")
    }

    @Test("the python-cpu seed runs on the host with its defaults, environment and setup")
    func pythonCPUSeed() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let cluster = try await Self.cluster(token: owner.token)
        let seed = try await cluster.compute("GET", "/v1/templates/python-cpu", token: owner.token).body
        let jobID = try await cluster.submit(
            [
                "projectId": .string(owner.project), "template": "python-cpu", "queue": .string(Self.queue),
                "resources": ["memoryMB": 256],
                "command": [
                    "/usr/bin/python3", "-c", "import os; print('bytecode', os.environ['PYTHONDONTWRITEBYTECODE'])",
                ],
            ], token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token)
        let lines = try await cluster.logLines(jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText) \(lines)")
        #expect(job["resources"]?["cpus"] == seed["defaultResources"]?["cpus"] && job["resources"]?["memoryMB"] == 256)
        #expect(lines.contains("bytecode 1") && lines.contains { $0.hasPrefix("Python 3.") }, "\(lines)")

        // A rerun resolves the template again and keeps naming it.
        let rerun = try await cluster.compute("POST", "/v1/jobs/\(jobID)/rerun", token: owner.token)
        #expect(
            rerun.status == 201 && rerun.body["template"] == "python-cpu"
                && rerun.body["resources"]?["memoryMB"] == 256, "\(rerun.body)")
        _ = try await cluster.finished(try #require(rerun.body["id"]?.stringValue), token: owner.token)
    }

    @Test(
        "jobs outside a template's ranges, with an image too, or naming a template they may not use are refused naming the field"
    )
    func jobRefusals() async throws {
        let owner = try await ComputeCluster.shared().newOwner()
        let stranger = try await ComputeCluster.shared().newOwner()
        let cluster = try await Self.cluster(token: owner.token)
        let name = Self.unique("ranged")
        #expect(
            try await cluster.compute(
                "POST", "/v1/templates",
                Self.hostTemplate(
                    name,
                    [
                        "projectId": .string(owner.project),
                        "defaultResources": ["cpus": 0.5, "memoryMB": 256, "diskMB": 1024],
                        "ranges": [
                            "cpus": ["min": 0.25, "max": 1], "memoryMB": ["max": 512], "diskMB": ["max": 2048],
                        ],
                    ]), token: owner.token
            ).status == 201)

        func refused(
            _ extra: [String: JSONValue], status: Int = 400, field: String, saying text: String? = nil,
            token: String? = nil, project: String? = nil
        ) async throws {
            var spec: [String: JSONValue] = [
                "projectId": .string(project ?? owner.project), "command": ["/bin/true"], "queue": .string(Self.queue),
            ]
            for (key, value) in extra { spec[key] = value }
            let answer = try await cluster.compute("POST", "/v1/jobs", .object(spec), token: token ?? owner.token)
            #expect(
                answer.status == status && answer.body["error"]?["field"]?.stringValue == field,
                "\(extra): \(answer.body)")
            if let text {
                #expect(answer.body["error"]?["message"]?.stringValue?.contains(text) == true, "\(answer.body)")
            }
        }
        try await refused(
            ["template": .string(name), "resources": ["cpus": 2]], field: "resources.cpus", saying: "0.25 to 1.0")
        try await refused(
            ["template": .string(name), "resources": ["memoryMB": 1024]], field: "resources.memoryMB",
            saying: "at most 512")
        try await refused(
            ["template": .string(name), "resources": ["diskMB": 4096]], field: "resources.diskMB",
            saying: "at most 2048")
        try await refused(["template": "python-cpu", "resources": ["gpus": 1]], field: "resources.gpus")
        try await refused(["template": .string(name), "image": "python:3.12"], field: "image")
        try await refused(["template": "no-such-template"], field: "template")
        try await refused(["template": "Bad Name"], field: "template")
        try await refused(
            ["template": .string(name)], field: "template", token: stranger.token, project: stranger.project)
        // The test cluster's nodes all run the local executor: no node runs an image template's jobs.
        try await refused(["template": "pytorch-cpu", "queue": "default"], status: 422, field: "image")
    }

    @Test("a bad seed file stops compute at start, naming the file and the field")
    func badSeedStopsStart() async throws {
        let seeds = try temporaryDirectory()
        try #"{"name": "broken", "runtime": "host", "ranges": {"cpus": {"min": 2, "max": 1}}}"#.write(
            to: seeds.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        let state = try temporaryDirectory()
        let log = state.appendingPathComponent("service.log")
        let port = try freePort()
        #expect(throws: (any Error).self) {
            let pid = try startPlatformProcess(
                "mlex-compute",
                environment: [
                    "MLEX_STATE_DIR": state.path, "MLEX_CONFIG_DIR": "/nonexistent", "MLEX_COMPUTE_PORT": String(port),
                    "MLEX_COMPUTE_HOST": "127.0.0.1",
                    "MLEX_COMPUTE_TEMPLATES_DIR": seeds.path,
                ], port: port, log: log)
            stopAtExit(pid)
        }
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(output.contains("broken.json") && output.contains("ranges.cpus.min"), "\(output)")
    }
}
