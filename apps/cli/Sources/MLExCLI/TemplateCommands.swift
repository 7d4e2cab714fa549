import ArgumentParser
import Foundation
import MLExClient
import Wire

struct Templates: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Configuration templates a job can name (template: in task.yaml): image or host, setup, default and allowed resources.",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "Templates you can use: the global ones and your projects' own.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "A project (name or id): only the templates its jobs may use.") var project: String?

        func run() async throws {
            try await reportingErrors {
                let client = try global.client()
                let projectID: String? = if let project { try await client.projectID(project) } else { nil }
                let templates = try await client.all(.compute, "/v1/templates", query: ["projectId": projectID])
                if output.json { return Console.json(.array(templates)) }
                Console.table(["NAME", "IMAGE", "DEFAULTS", "RANGES", "PROJECT"], templates.map(TemplateView.row))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A template: its environment, setup commands, defaults and ranges.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The template's name.") var name: String

        func run() async throws {
            try await reportingErrors {
                // Valid names need no escaping; anything else must not change the path's shape.
                let escaped =
                    name.addingPercentEncoding(
                        withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-_"))
                    ?? name
                let template = try await global.client().call(.compute, .GET, "/v1/templates/\(escaped)")
                if output.json { return Console.json(template) }
                Console.fields(TemplateView.fields(template))
            }
        }
    }
}

/// How templates read in a terminal: one table row each, or one field per line.
enum TemplateView {
    static func row(_ template: JSONValue) -> [String] {
        [
            Console.cell(template["name"]), image(template), defaults(template), ranges(template),
            Console.cell(template["projectId"] ?? "global"),
        ]
    }

    static func fields(_ template: JSONValue) -> [(String, String)] {
        let env = (template["env"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map {
            "\($0.key)=\(Console.cell($0.value))"
        }
        let setup = (template["setup"]?.arrayValue ?? []).map { Console.cell($0) }
        return [
            ("name", Console.cell(template["name"])), ("description", Console.cell(template["description"])),
            ("image", image(template)),
            ("project", Console.cell(template["projectId"] ?? "global")), ("defaults", defaults(template)),
            ("ranges", ranges(template)),
            ("setup", setup.isEmpty ? "-" : setup.joined(separator: " && ")),
            ("env", env.isEmpty ? "-" : env.joined(separator: " ")),
            ("created", "\(Console.cell(template["createdAt"])) by \(Console.cell(template["createdBy"]))"),
            ("updated", Console.cell(template["updatedAt"])),
        ]
    }

    /// The image, or `host` for templates that run on the node's own system.
    static func image(_ template: JSONValue) -> String {
        template["image"]?.stringValue ?? template["runtime"]?.stringValue ?? "-"
    }

    /// `1 cpu, 2048 MB, 0 GPUs`.
    static func defaults(_ template: JSONValue) -> String {
        let resources = template["defaultResources"]
        return
            "\(Console.cell(resources?["cpus"])) cpu, \(Console.cell(resources?["memoryMB"])) MB, \(Console.cell(resources?["gpus"])) GPU"
    }

    /// `cpus 0.25-32, memoryMB 128-131072, gpus 0`: each range the template sets, open ends
    /// as `≥`/`≤`; `-` when it sets none.
    static func ranges(_ template: JSONValue) -> String {
        let parts = ["cpus", "memoryMB", "gpus"].compactMap { key -> String? in
            guard let bounds = template["ranges"]?[key] else { return nil }
            let low = bounds["min"].flatMap { $0 == .null ? nil : Console.cell($0) }
            let high = bounds["max"].flatMap { $0 == .null ? nil : Console.cell($0) }
            switch (low, high) {
            case (let low?, let high?): return low == high ? "\(key) \(low)" : "\(key) \(low)-\(high)"
            case (let low?, nil): return "\(key) ≥\(low)"
            case (nil, let high?): return "\(key) ≤\(high)"
            case (nil, nil): return nil
            }
        }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }
}
