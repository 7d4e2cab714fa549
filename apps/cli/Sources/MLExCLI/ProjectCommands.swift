import ArgumentParser
import Foundation
import MLExClient
import Wire

struct Projects: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Projects you have a role in.", subcommands: [List.self, Create.self, Show.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List your projects.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors {
                let projects = try await global.client().all(.data, "/v1/projects")
                if output.json { return Console.json(.array(projects)) }
                Console.table(
                    ["ID", "NAME", "DESCRIPTION", "CREATED"],
                    projects.map {
                        [
                            Console.cell($0["id"]), Console.cell($0["name"]), Console.cell($0["description"]),
                            Console.cell($0["createdAt"]),
                        ]
                    })
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a project (you become its owner); prints its id.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project's name.") var name: String
        @Option(help: "What it is for.") var description: String?

        func run() async throws {
            try await reportingErrors {
                let body = JSONValue.named(name, description: description)
                let project = try await global.client().call(.data, .POST, "/v1/projects", body: body)
                Console.line(Console.cell(project["id"]))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A project and its members.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The project (name or id).") var project: String

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let id = try await client.projectID(project)
                var found = try await client.call(.data, .GET, "/v1/projects/\(id)")
                found["members"] =
                    try await client.call(.data, .GET, "/v1/projects/\(id)/members")["items"] ?? .array([])
                if output.json { return Console.json(found) }
                Console.fields([
                    ("id", Console.cell(found["id"])), ("name", Console.cell(found["name"])),
                    ("description", Console.cell(found["description"])),
                    ("created", Console.cell(found["createdAt"])),
                ])
                Console.line()
                Console.table(
                    ["MEMBER", "KIND", "ROLE"],
                    (found["members"]?.arrayValue ?? []).map {
                        [
                            Console.cell($0["memberId"]), Console.cell($0["memberKind"] ?? $0["kind"]),
                            Console.cell($0["role"]),
                        ]
                    })
            }
        }
    }
}

struct Experiments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Experiments group a project's runs.", subcommands: [List.self, Create.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "A project's experiments.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The project (name or id).") var project: String

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let experiments = try await client.all(
                    .data, "/v1/projects/\(try await client.projectID(project))/experiments")
                if output.json { return Console.json(.array(experiments)) }
                Console.table(
                    ["ID", "NAME", "CREATED"],
                    experiments.map {
                        [Console.cell($0["id"]), Console.cell($0["name"]), Console.cell($0["createdAt"])]
                    })
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an experiment; prints its id.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The project (name or id).") var project: String
        @Argument(help: "The experiment's name (unique in the project).") var name: String

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let created = try await client.call(
                    .data, .POST, "/v1/projects/\(try await client.projectID(project))/experiments",
                    body: ["name": .string(name)])
                Console.line(Console.cell(created["id"]))
            }
        }
    }
}

struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Personal API tokens for scripts and CI (MLEX_TOKEN).",
        subcommands: [List.self, Create.self, Revoke.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "Your live tokens (never their secrets).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors {
                let tokens = try await global.client().call(.users, .GET, "/v1/tokens")["items"]?.arrayValue ?? []
                if output.json { return Console.json(.array(tokens)) }
                Console.table(
                    ["ID", "NAME", "PREFIX", "CREATED", "EXPIRES"],
                    tokens.map {
                        [
                            Console.cell($0["id"]), Console.cell($0["name"]), Console.cell($0["prefix"]),
                            Console.cell($0["createdAt"]), Console.cell($0["expiresAt"]),
                        ]
                    })
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; its secret is printed once, on stdout.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "What the token is for.") var name: String
        @Option(help: "Days until it expires (default: never).") var expiresInDays: Int?

        func run() async throws {
            try await reportingErrors {
                var body: [String: JSONValue] = ["name": .string(name)]
                if let expiresInDays { body["expiresInDays"] = .int(Int64(expiresInDays)) }
                let created = try await global.client().call(.users, .POST, "/v1/tokens", body: .object(body))
                Console.line(Console.cell(created["token"]))
                Console.note(
                    "Token \(Console.cell(created["apiToken"]?["id"])) created; the secret above is not shown again.")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's id.") var id: String

        func run() async throws {
            try await reportingErrors {
                try await global.client().call(.users, .DELETE, "/v1/tokens/\(id)")
                Console.note("Token \(id) revoked.")
            }
        }
    }
}
