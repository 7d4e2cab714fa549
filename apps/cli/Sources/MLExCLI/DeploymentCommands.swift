import ArgumentParser
import Foundation
import MLExClient
import Wire

/// How a deployment is shown: `mlex deployments show` and the list's rows.
enum DeploymentView {
    /// `2/3`: replicas running of those wanted.
    static func replicas(_ deployment: JSONValue) -> String {
        let running = (deployment["replicas"]?.arrayValue ?? []).filter { $0["state"] == "running" }.count
        return "\(running)/\(deployment["spec"]?["replicas"]?.intValue ?? 1)"
    }

    /// Where it answers: the gateway's URL and the deployment's endpoint path.
    static func endpoint(_ deployment: JSONValue, client: MLExClient) -> String {
        client.baseURL + (deployment["endpointPath"]?.stringValue ?? "")
    }

    static func show(_ deployment: JSONValue, client: MLExClient) {
        var rows: [(String, String)] = [
            ("deployment", Console.cell(deployment["id"])), ("name", Console.cell(deployment["name"])),
            ("state", Console.cell(deployment["state"])),
        ]
        if let message = deployment["message"]?.stringValue { rows.append(("message", message)) }
        rows.append(("replicas", "\(replicas(deployment)) running"))
        for (index, replica) in (deployment["replicas"]?.arrayValue ?? []).enumerated() {
            let answered = replica["answered"] == true ? ", answering" : ""
            rows.append(
                (
                    "  replica \(index)",
                    "job \(Console.cell(replica["jobId"])) \(Console.cell(replica["state"]))\(answered)"
                ))
        }
        var restarts = Console.cell(deployment["restarts"])
        if let loop = deployment["crashLoop"]?.intValue, loop > 0 { restarts += " (crash loop: \(loop) in a row)" }
        if let last = deployment["lastRestartAt"]?.stringValue { restarts += ", last at \(last)" }
        rows.append(("restarts", restarts))
        if let seconds = deployment["lastColdStartSeconds"]?.numberValue {
            rows.append(("last cold start", String(format: "%.2f s", seconds)))
        }
        let idle = deployment["spec"]?["idleSeconds"]?.intValue
        rows.append(("scale to zero", idle.map { "after \($0) s without a request" } ?? "never"))
        rows.append(("endpoint", endpoint(deployment, client: client)))
        rows.append(("project", Console.cell(deployment["projectId"])))
        rows.append(("owner", Console.cell(deployment["owner"])))
        rows.append(("created", Console.cell(deployment["createdAt"])))
        rows.append(("updated", Console.cell(deployment["updatedAt"])))
        Console.fields(rows)
    }

    /// Refuses, as a usage error, an argument that cannot be a deployment id.
    static func requireID(_ text: String) throws {
        guard ID.isValid(text) else {
            throw ValidationError("\"\(text)\" is not a deployment id (mlex deployments lists them)")
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve this git project's last commit as a deployment: replicas behind one endpoint.",
        discussion: """
            Packages and uploads the project as `mlex submit` does, from the
            same task file, and creates a deployment (docs/deployments.md):
            each replica runs the task's command, which must serve HTTP on
            the Unix socket $MLEX_ENDPOINT_SOCKET; users reach them in turn at
            /deployments/<id>/ on the gateway. Prints the deployment's id on
            stdout, its endpoint URL on stderr.

            A replica runs until the deployment is stopped (mlex deployments
            stop), so the task's timeoutSeconds and retries are left out; a
            task of several workers cannot be served.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The task file.", valueName: "file")) var task = "task.yaml"
    @Option(help: "The project (name or id), instead of the task file's.") var project: String?
    @Option(help: "The deployment's name (default: the task's, else <repository>@<commit>).") var name: String?
    @Option(help: ArgumentHelp("Replicas answering in turn (1-16).", valueName: "n")) var replicas = 1
    @Option(
        help: ArgumentHelp(
            "Stop every replica after this many seconds without a request; the next request starts them again (default: never).",
            valueName: "s")) var idleSeconds: Int?
    @Option(
        help: ArgumentHelp(
            "A JSON parameter schema each record of POST …/invocations must meet (400 naming the field otherwise).",
            valueName: "file")) var inputSchema: String?
    @Flag(help: "Print the created deployment as JSON.") var json = false

    func run() async throws {
        try await reportingErrors {
            let schema = try inputSchema.map(readSchema)
            let client = try global.client()
            let deployment = try await TaskUpload.withUploaded(task: task, project: project, client: client) {
                uploaded in
                try await client.call(.compute, .POST, "/v1/deployments", body: try spec(uploaded, schema: schema))
            }
            let id = deployment["id"]?.stringValue ?? ""
            if json { return Console.json(deployment) }
            Console.line(id)
            Console.note(
                "Deployment \(id) \(Console.cell(deployment["state"])), \(replicas) replica(s) starting; it answers at")
            Console.note("  \(DeploymentView.endpoint(deployment, client: client))")
            Console.note("Watch it with `mlex deployments show \(id)`; stop it with `mlex deployments stop \(id)`.")
        }
    }

    func readSchema(_ path: String) throws -> JSONValue {
        guard let text = try? String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8) else {
            throw ClientError.usage("cannot read the input schema \(path)")
        }
        guard let schema = try? JSONValue.parse(text), schema.objectValue != nil else {
            throw ClientError.usage("\(path) is not a JSON object (a parameter schema, docs/deployments.md)")
        }
        return schema
    }

    func spec(_ uploaded: TaskUpload, schema: JSONValue?) throws -> JSONValue {
        let task = uploaded.task
        if let workers = task.workers, workers > 1 {
            throw ClientError.usage("a deployment's replicas are jobs of one worker: the task asks for \(workers)")
        }
        let dropped = [("timeoutSeconds", task.timeoutSeconds != nil), ("retries", task.retries != nil)]
            .filter(\.1).map(\.0)
        if !dropped.isEmpty {
            Console.note(
                "\(dropped.joined(separator: " and ")) left out: a replica runs until the deployment is stopped.")
        }
        var spec = uploaded.commonFields(name: name)
        spec["replicas"] = .int(Int64(replicas))
        if let idleSeconds { spec["idleSeconds"] = .int(Int64(idleSeconds)) }
        if let schema { spec["inputSchema"] = schema }
        return .object(spec)
    }
}

struct Deployments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and stop deployments (models served by replicas; mlex serve creates them).",
        subcommands: [List.self, Show.self, Stop.self], defaultSubcommand: List.self,
        // `mlex deployment show ID` reads as well as `mlex deployments show ID`.
        aliases: ["deployment"])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "Deployments, newest first: yours, or a project's.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "A project (name or id): its deployments rather than yours.") var project: String?

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let projectID: String? = if let project { try await client.projectID(project) } else { nil }
                let page = try await client.call(.compute, .GET, "/v1/deployments", query: ["projectId": projectID])
                let items = page["items"]?.arrayValue ?? []
                if output.json { return Console.json(.array(items)) }
                Console.table(
                    ["ID", "NAME", "STATE", "REPLICAS", "RESTARTS", "ENDPOINT"],
                    items.map { deployment in
                        [
                            Console.cell(deployment["id"]), Console.cell(deployment["name"]),
                            Console.cell(deployment["state"]), DeploymentView.replicas(deployment),
                            Console.cell(deployment["restarts"]), DeploymentView.endpoint(deployment, client: client),
                        ]
                    })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A deployment's state, replicas and their jobs, restarts, last cold start and endpoint.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The deployment's id.") var deployment: String

        func validate() throws { try DeploymentView.requireID(deployment) }

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let view = try await client.call(.compute, .GET, "/v1/deployments/\(deployment)")
                if output.json { Console.json(view) } else { DeploymentView.show(view, client: client) }
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a deployment for good: its replicas are cancelled and its endpoint answers 503.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The deployment's id.") var deployment: String

        func validate() throws { try DeploymentView.requireID(deployment) }

        func run() async throws {
            try await reportingErrors {
                let answer = try await global.client().call(.compute, .DELETE, "/v1/deployments/\(deployment)")
                Console.note("Deployment \(deployment): \(Console.cell(answer["state"])), its replicas cancelled.")
            }
        }
    }
}
