import Foundation
import MLExClient
import Wire
import Yams

/// DDL's `task.yaml`: what `mlex submit` runs. DDL's own keys are taken as they are
/// (`job_data.dataset.dataset_location`, `worker_required`); the rest are the jobs API's names
/// (docs/compute.md). A key not listed here is an error naming it and the closest valid key.
struct TaskFile: Equatable {
    var project: String?
    var name: String?
    var command: [String]?
    /// A local directory uploaded as a dataset version and mounted at /data.
    var datasetLocation: String?
    /// The dataset that version belongs to (default: the directory's name).
    var datasetName: String?
    var workers: Int?
    var resources: [String: JSONValue] = [:]
    var template: String?
    var image: String?
    var queue: String?
    var params: [String: JSONValue] = [:]
    var env: [String: String] = [:]
    var timeoutSeconds: Int?
    var priority: Int?
    var retries: Int?

    /// The keys a task file may hold, as a tree.
    indirect enum Shape: Equatable {
        case string, integer, number, stringList
        /// Free keys, each a scalar (params) or a string (env).
        case scalars, strings
        case object([String: Shape])
    }

    static let shape = Shape.object([
        "project": .string, "name": .string, "command": .stringList,
        "job_data": .object(["dataset": .object(["dataset_location": .string, "dataset_name": .string])]),
        "worker_required": .integer, "workers": .integer,
        "resources": .object(["cpus": .number, "memoryMB": .integer, "gpus": .integer]),
        "template": .string, "image": .string, "queue": .string,
        "params": .scalars, "env": .strings,
        "timeoutSeconds": .integer, "priority": .integer, "retries": .integer,
    ])

    static func load(_ file: URL) throws -> TaskFile {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw ClientError.usage("cannot read the task file \(file.path)")
        }
        return try parse(text, name: file.lastPathComponent)
    }

    /// The task in `text`; errors name the file, line and key.
    static func parse(_ text: String, name: String = "task.yaml") throws -> TaskFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ClientError.usage("\(name) is not valid YAML: \(error)")
        }
        guard let root else { throw ClientError.usage("\(name) is empty") }
        var values: [String: JSONValue] = [:]
        try collect(root, shape: shape, path: [], into: &values, file: name)
        return try TaskFile(values, file: name)
    }

    /// Walks `node` against `shape`, putting each leaf under its dotted path.
    private static func collect(
        _ node: Node, shape: Shape, path: [String], into values: inout [String: JSONValue], file: String
    ) throws {
        let key = path.joined(separator: ".")
        func fail(_ message: String) -> ClientError {
            ClientError.usage("\(file)\(node.mark.map { ":\($0.line)" } ?? ""): \(message)")
        }
        switch shape {
        case .object(let fields):
            guard case .mapping(let mapping) = node else {
                throw fail(key.isEmpty ? "a task file is a mapping of keys" : "\"\(key)\" is a mapping of keys")
            }
            for (keyNode, value) in mapping {
                guard let name = keyNode.string else { throw fail("keys are strings") }
                guard let inner = fields[name] else {
                    let full = (path + [name]).joined(separator: ".")
                    let hint =
                        KeySuggestion.closest(to: name, among: Array(fields.keys)).map {
                            "; did you mean \"\((path + [$0]).joined(separator: "."))\"?"
                        }
                        ?? "; valid here: \(fields.keys.sorted().joined(separator: ", "))"
                    throw ClientError.usage(
                        "\(file)\(keyNode.mark.map { ":\($0.line)" } ?? ""): unknown key \"\(full)\"\(hint)")
                }
                try collect(value, shape: inner, path: path + [name], into: &values, file: file)
            }
        case .scalars, .strings:
            guard case .mapping(let mapping) = node else { throw fail("\"\(key)\" is a mapping of names to values") }
            var entries: [String: JSONValue] = [:]
            for (keyNode, value) in mapping {
                guard let name = keyNode.string, case .scalar = value else {
                    throw fail("\"\(key)\" holds name: value pairs with plain values")
                }
                entries[name] = shape == .strings ? .string(value.string ?? "") : scalar(value)
            }
            values[key] = .object(entries)
        case .stringList:
            if case .scalar = node, let single = node.string {
                values[key] = .array(single.split(separator: " ").map { .string(String($0)) })
            } else if case .sequence(let sequence) = node {
                values[key] = .array(
                    try sequence.map { item in
                        guard case .scalar = item, let text = item.string else {
                            throw fail("\"\(key)\" is a list of strings")
                        }
                        return .string(text)
                    })
            } else {
                throw fail("\"\(key)\" is a list of strings")
            }
        case .string:
            guard case .scalar = node, let text = node.string else { throw fail("\"\(key)\" is a string") }
            values[key] = .string(text)
        case .integer:
            guard case .scalar = node, let number = node.int else { throw fail("\"\(key)\" is a whole number") }
            values[key] = .int(Int64(number))
        case .number:
            guard case .scalar = node, let number = node.float else { throw fail("\"\(key)\" is a number") }
            values[key] = .double(number)
        }
    }

    /// A YAML scalar with the type YAML gives it: integer, float, boolean, else text.
    private static func scalar(_ node: Node) -> JSONValue {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return .string(node.string ?? "") }
        if let int = node.int { return .int(Int64(int)) }
        if let float = node.float { return .double(float) }
        if let bool = node.bool { return .bool(bool) }
        if node.null != nil { return .null }
        return .string(scalar.string)
    }

    private init(_ values: [String: JSONValue], file: String) throws {
        project = values["project"]?.stringValue
        name = values["name"]?.stringValue
        command = values["command"]?.arrayValue?.compactMap(\.stringValue)
        datasetLocation = values["job_data.dataset.dataset_location"]?.stringValue
        datasetName = values["job_data.dataset.dataset_name"]?.stringValue
        if values["worker_required"] != nil, values["workers"] != nil {
            throw ClientError.usage("\(file): give worker_required or workers, not both")
        }
        workers = (values["worker_required"] ?? values["workers"])?.intValue.map(Int.init)
        for key in ["cpus", "memoryMB", "gpus"] { if let value = values["resources.\(key)"] { resources[key] = value } }
        template = values["template"]?.stringValue
        image = values["image"]?.stringValue
        queue = values["queue"]?.stringValue
        params = values["params"]?.objectValue ?? [:]
        env = (values["env"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        timeoutSeconds = values["timeoutSeconds"]?.intValue.map(Int.init)
        priority = values["priority"]?.intValue.map(Int.init)
        retries = values["retries"]?.intValue.map(Int.init)
        if datasetName != nil, datasetLocation == nil {
            throw ClientError.usage("\(file): job_data.dataset.dataset_name needs job_data.dataset.dataset_location")
        }
    }
}

/// "Did you mean …?" for a mistyped key: the valid key at the smallest edit distance
/// (ignoring case), when it is close enough to be the intended one.
enum KeySuggestion {
    static func closest(to key: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, best.0.count / 3) ? best.0 : nil
    }

    /// Levenshtein distance.
    static func distance(_ left: String, _ right: String) -> Int {
        let a = Array(left)
        let b = Array(right)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
