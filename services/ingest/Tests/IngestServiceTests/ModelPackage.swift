import Crypto
import Foundation
import Platform
import PlatformTesting

/// A model package as an author makes one: files in a directory, `model.json` listing them with
/// their sizes and SHA-256s, packed with tar.
struct ModelPackage {
    var card: JSONValue
    var files: [String: Data]

    /// A tiny model whose `predict.py` prints its parameters and writes a result file.
    static func denoiser(_ name: String, version: String = "1.0.0") -> ModelPackage {
        let predict = """
            import json, os
            params = json.loads(os.environ.get("MLEX_PARAMS", "{}"))
            weights = open("weights.bin", "rb").read()
            print("threshold", params["threshold"], "mode", params["mode"], "weights", len(weights), flush=True)
            open(os.path.join(os.environ["MLEX_OUTPUT_DIR"], "result.txt"), "w").write(str(params))
            """
        return ModelPackage(
            card: [
                "name": .string(name), "version": .string(version),
                "description": "removes beam-line noise from detector images",
                "task": "denoising", "framework": "numpy", "license": "MIT", "authors": ["Ada Lovelace"],
                "public": true,
                "command": ["/usr/bin/python3", "predict.py"], "resources": ["cpus": 0.5, "memoryMB": 256],
                "parameters": [
                    "type": "object", "required": ["mode"],
                    "properties": [
                        "threshold": ["type": "number", "minimum": 0, "maximum": 1, "default": 0.5],
                        "mode": ["type": "string", "enum": ["fast", "exact"]],
                    ],
                ],
                "metrics": ["psnr": 31.5],
            ], files: ["predict.py": Data(predict.utf8), "weights.bin": Data((0..<4096).map { UInt8($0 % 251) })])
    }

    /// `files` as model.json lists them: path, size, SHA-256.
    func listing() -> [JSONValue] {
        files.keys.sorted().map { path in
            [
                "path": .string(path), "size": .int(Int64(files[path]!.count)),
                "sha256": .string(SHA256.hash(data: files[path]!).map { String(format: "%02x", $0) }.joined()),
            ]
        }
    }

    /// The tar: model.json with `files` filled in from `files` (unless `listed` overrides it).
    func tar(listed: [JSONValue]? = nil) throws -> Data {
        let directory = try temporaryDirectory()
        var card = self.card
        if case .object = card {
            card["files"] = .array(listed ?? listing())
        }
        if card != .null { try Data(card.jsonText.utf8).write(to: directory.appendingPathComponent("model.json")) }
        for (path, bytes) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try bytes.write(to: url)
        }
        return try tarOf(directory)
    }
}

/// A tar of `directory`'s contents, made by GNU tar.
func tarOf(_ directory: URL) throws -> Data {
    let archive = try temporaryDirectory().appendingPathComponent("package.tar")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
    process.arguments = ["-cf", archive.path, "-C", directory.path, "."]
    try process.run()
    process.waitUntilExit()
    return try Data(contentsOf: archive)
}
