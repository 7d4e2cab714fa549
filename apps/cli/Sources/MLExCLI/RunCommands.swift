import ArgumentParser
import Foundation
import MLExClient
import Wire

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tracked runs: list, show, search.", subcommands: [List.self, Show.self, Search.self],
        defaultSubcommand: List.self)

    static func table(_ runs: [JSONValue]) {
        let metricKeys = Array(
            Set(runs.flatMap { $0["metrics"]?.objectValue?.keys.map { $0 } ?? [] }).sorted().prefix(4))
        Console.table(
            ["ID", "NAME", "STATUS", "STARTED"] + metricKeys,
            runs.map { run in
                [
                    Console.cell(run["id"]), Console.cell(run["name"]), Console.cell(run["status"]),
                    Console.cell(run["startTime"]),
                ]
                    + metricKeys.map { Console.metric(run["metrics"]?[$0]) }
            })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "An experiment's runs.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The experiment's id, or its name with --project.") var experiment: String
        @Option(help: "The project (name or id) when the experiment is given by name.") var project: String?

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                var experimentID = experiment
                if !ID.isValid(experiment) {
                    guard let project else {
                        throw ClientError.usage("give --project with an experiment name, or the experiment's id")
                    }
                    let found = try await client.call(
                        .data, .GET, "/v1/projects/\(try await client.projectID(project))/experiments/by-name",
                        query: ["name": experiment])
                    experimentID = found["id"]?.stringValue ?? experiment
                }
                let runs = try await client.all(.data, "/v1/experiments/\(experimentID)/runs")
                if output.json { return Console.json(.array(runs)) }
                Runs.table(runs)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A run: its params, latest metrics, tags, inputs and files.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The run's id.") var run: String

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                var found = try await client.call(.data, .GET, "/v1/runs/\(run)")
                found["files"] = .array(try await client.all(.data, "/v1/runs/\(run)/files", pageSize: 1000))
                found["inputs"] = try await client.call(.data, .GET, "/v1/runs/\(run)/inputs")["items"] ?? .array([])
                if output.json { return Console.json(found) }
                Console.fields([
                    ("run", Console.cell(found["id"])), ("name", Console.cell(found["name"])),
                    ("status", Console.cell(found["status"])),
                    ("experiment", Console.cell(found["experimentId"])), ("started", Console.cell(found["startTime"])),
                    ("ended", Console.cell(found["endTime"])),
                ])
                for (title, key) in [("PARAM", "params"), ("METRIC", "metrics"), ("TAG", "tags")] {
                    let entries = (found[key]?.objectValue ?? [:]).sorted { $0.key < $1.key }
                    guard !entries.isEmpty else { continue }
                    Console.line()
                    let format = key == "metrics" ? Console.metric : Console.cell
                    Console.table([title, "VALUE"], entries.map { [$0.key, format($0.value)] })
                }
                if let files = found["files"]?.arrayValue, !files.isEmpty {
                    Console.line()
                    Console.table(
                        ["FILE", "SIZE", "SHA256"],
                        files.map {
                            [
                                Console.cell($0["path"]), Console.bytes($0["size"]?.intValue ?? 0),
                                Console.cell($0["sha256"]),
                            ]
                        })
                }
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find a project's runs by params, metrics, tags and attributes.",
            discussion:
                "e.g. mlex runs search --project vision 'metrics.acc > 0.9 or params.lr < 0.01' (the grammar is in docs/data.md)."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The project (name or id).") var project: String
        @Argument(help: "The filter, e.g. 'metrics.acc > 0.9 and params.optimizer = \"adam\"'.") var filter = ""
        @Option(name: .customLong("order-by"), help: "Sort fields, e.g. 'metrics.acc desc' (repeatable).") var orderBy:
            [String] = []
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                var body: [String: JSONValue] = [
                    "projectId": .string(try await client.projectID(project)), "limit": .int(Int64(limit)),
                ]
                if !filter.isEmpty { body["filter"] = .string(filter) }
                if !orderBy.isEmpty { body["orderBy"] = .array(orderBy.map(JSONValue.string)) }
                let runs =
                    try await client.call(.data, .POST, "/v1/runs/search", body: .object(body))["items"]?.arrayValue
                    ?? []
                if output.json { return Console.json(.array(runs)) }
                Runs.table(runs)
            }
        }
    }
}

struct Datasets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Datasets and their immutable versions.",
        subcommands: [List.self, Create.self, Versions.self, Push.self], defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "A project's datasets.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The project (name or id).") var project: String

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let datasets = try await client.all(
                    .data, "/v1/projects/\(try await client.projectID(project))/datasets")
                if output.json { return Console.json(.array(datasets)) }
                Console.table(
                    ["ID", "NAME", "DESCRIPTION", "CREATED"],
                    datasets.map {
                        [
                            Console.cell($0["id"]), Console.cell($0["name"]), Console.cell($0["description"]),
                            Console.cell($0["createdAt"]),
                        ]
                    })
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a dataset; prints its id.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The project (name or id).") var project: String
        @Argument(help: "The dataset's name (unique in the project).") var name: String
        @Option(help: "What it holds.") var description: String?

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let body = JSONValue.named(name, description: description)
                let created = try await client.call(
                    .data, .POST, "/v1/projects/\(try await client.projectID(project))/datasets", body: body)
                Console.line(Console.cell(created["id"]))
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A dataset's versions, oldest first.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The dataset's id.") var dataset: String

        func run() async throws {
            try await reportingErrors {
                let versions = try await global.client().all(.data, "/v1/datasets/\(dataset)/versions")
                if output.json { return Console.json(.array(versions)) }
                Console.table(
                    ["ID", "VERSION", "STATE", "FILES", "SIZE", "CREATED"],
                    versions.map {
                        [
                            Console.cell($0["id"]), Console.cell($0["number"]), Console.cell($0["state"]),
                            Console.cell($0["fileCount"]),
                            Console.bytes($0["size"]?.intValue ?? 0), Console.cell($0["createdAt"]),
                        ]
                    })
            }
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Upload a local directory as a new, final version of a dataset (reusing an identical one); prints the version's id."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The project (name or id).") var project: String
        @Option(help: "The dataset's name (created when missing; default: the directory's name).") var name: String?
        @Argument(help: "The directory.") var directory: String

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let url = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
                let pushed = try await DatasetPush(client: client, projectID: try await client.projectID(project)).push(
                    directory: url, datasetName: name ?? url.lastPathComponent)
                Console.line(pushed.versionID)
            }
        }
    }
}
