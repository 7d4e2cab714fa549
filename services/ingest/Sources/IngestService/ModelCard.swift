import Foundation
import ParameterSchema
import Platform

/// `model.json` at the root of a model package: what the model is, how to run it, its typed
/// parameters, and the package's files with their sizes and SHA-256s. `check` lists every
/// problem, so one rejection tells the author everything to fix.
struct ModelCard: Sendable {
    static let fileName = "model.json"
    static let keys: Set<String> = [
        "name", "version", "description", "task", "framework", "license", "authors", "image", "template", "command",
        "parameters", "inputSchema", "resources", "inputs", "outputs", "metrics", "files", "public",
    ]

    let json: JSONValue
    let name: String
    let version: String
    let files: [(path: String, size: Int64, sha256: String)]

    /// The card, or every reason it cannot be one.
    static func check(_ json: JSONValue) -> Checked<ModelCard> {
        var reasons = Reasons()
        func fail(_ field: String, _ message: String) { reasons.append(Reason(field: field, message: message)) }
        guard case .object(let members) = json else {
            return .failed([Reason(field: nil, file: fileName, message: "model.json is a JSON object")])
        }
        for key in members.keys.sorted() where !keys.contains(key) {
            fail(key, "not a card field (\(keys.sorted().joined(separator: ", ")))")
        }
        let name = members["name"]?.stringValue ?? ""
        if !ModelName.isValid(name) { fail("name", ModelName.rule) }
        let version = members["version"]?.stringValue ?? ""
        if version.isEmpty || version.count > 100 {
            fail("version", "version is the card's version string, 1 to 100 characters (e.g. 1.2.0)")
        }
        for key in ["description", "task", "framework", "license", "image", "template", "inputs", "outputs"] {
            if let value = members[key], value.stringValue == nil { fail(key, "\(key) is text") }
        }
        // Compute refuses a job naming both (the template names its image), so a card may not either.
        if members["image"] != nil && members["template"] != nil {
            fail("image", "give an image or a template, not both: a template names its own image")
        }
        if let authors = members["authors"], authors.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
            fail("authors", "authors is a list of names")
        }
        if let flag = members["public"], case .bool = flag {
        } else if members["public"] != nil {
            fail("public", "public is true or false")
        }
        if let command = members["command"] {
            if command.arrayValue?.isEmpty != false || command.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true
            {
                fail("command", "command is a non-empty list of arguments, run in the unpacked package")
            }
        } else if members["image"] == nil && members["template"] == nil {
            fail(
                "command",
                "say how to run the model: a command (run in the unpacked package), with an image or template if it needs one"
            )
        }
        if let parameters = members["parameters"], case .failure(let problems) = ParameterSchema.parse(parameters) {
            reasons.append(contentsOf: problems.list.lazy.map { Reason(field: $0.field, message: $0.message) })
        }
        // What a served model's invocations carry, record by record (docs/deployments.md).
        if let inputs = members["inputSchema"],
            case .failure(let problems) = ParameterSchema.parse(inputs, field: "inputSchema")
        {
            reasons.append(contentsOf: problems.list.lazy.map { Reason(field: $0.field, message: $0.message) })
        }
        if let resources = members["resources"] {
            if let object = resources.objectValue {
                for (key, value) in object {
                    if !["cpus", "memoryMB", "gpus"].contains(key) {
                        fail("resources.\(key)", "resources are cpus, memoryMB and gpus")
                    } else if (value.numberValue ?? -1) < 0 {
                        fail("resources.\(key)", "\(key) is a non-negative number")
                    }
                }
            } else {
                fail("resources", "resources is {cpus, memoryMB, gpus}")
            }
        }
        if let metrics = members["metrics"],
            metrics.objectValue?.values.allSatisfy({ $0.numberValue?.isFinite == true }) != true
        {
            fail("metrics", "metrics map names to numbers")
        }
        var files: [(String, Int64, String)] = []
        var paths: Set<String> = []
        let listed = members["files"]?.arrayValue
        if listed == nil {
            fail("files", "files lists every file of the package (path, size, sha256) besides model.json")
        }
        for (index, entry) in (listed ?? []).enumerated() {
            guard let path = entry["path"]?.stringValue, PackagePath.isValid(path), path != fileName else {
                fail("files.\(index).path", "a relative path inside the package, not model.json")
                continue
            }
            guard let size = entry["size"]?.intValue, size >= 0 else {
                fail("files.\(index).size", "the file's size in bytes")
                continue
            }
            guard let sha = entry["sha256"]?.stringValue?.lowercased(), sha.count == 64, sha.allSatisfy(\.isHexDigit)
            else {
                fail("files.\(index).sha256", "the file's SHA-256, 64 hex digits")
                continue
            }
            guard paths.insert(path).inserted else {
                fail("files.\(index).path", "\(path) is listed twice")
                continue
            }
            files.append((path, size, sha))
        }
        guard reasons.isEmpty else { return .failed(reasons) }
        return .passed(ModelCard(json: json, name: name, version: version, files: files))
    }
}

extension ModelCard {
    /// The card's JSON, read from `url` only when it is at most `limit` bytes: its size is
    /// checked before reading, and no more than `limit` + 1 bytes are ever read.
    static func read(_ url: URL, limit: Int64) -> Checked<JSONValue> {
        let size = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.int64Value ?? 0
        guard size <= limit else { return .failed([tooLarge(size, limit: limit)]) }
        let bytes: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            bytes = try handle.read(upToCount: Int(clamping: limit) + 1) ?? Data()
        } catch {
            return .failed([Reason(field: nil, file: fileName, message: "cannot read model.json: \(error)")])
        }
        guard Int64(bytes.count) <= limit else { return .failed([tooLarge(Int64(bytes.count), limit: limit)]) }
        do {
            guard let text = String(data: bytes, encoding: .utf8) else { throw JSONTextError.notUTF8 }
            return .passed(try JSONValue.parse(text))
        } catch {
            return .failed([Reason(field: nil, file: fileName, message: "model.json is not valid JSON: \(error)")])
        }
    }

    static func tooLarge(_ size: Int64, limit: Int64) -> Reason {
        Reason(
            field: nil, file: fileName,
            message: "model.json is \(size) bytes; a card is at most \(limit) bytes (mlex.ingest.maxModelCardBytes)")
    }

    private enum JSONTextError: Error, CustomStringConvertible {
        case notUTF8
        var description: String { "it is not UTF-8 text" }
    }
}

/// Paths inside a package: relative, normalised, no `..`, no NUL, at most 1024 bytes.
enum PackagePath {
    static func isValid(_ path: String) -> Bool {
        !path.isEmpty && path.utf8.count <= 1024 && !path.hasPrefix("/") && !path.contains("\0")
            && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
                !$0.isEmpty && $0 != "." && $0 != ".."
            }
    }
}
