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

    /// A model served over HTTP (docs/deployments.md): `POST /invocations` with records
    /// `{"x": n}` answers `{"predictions": [n × the weights' size / 1024]}`; its card's
    /// inputSchema says what a record is.
    static func server(_ name: String) -> ModelPackage {
        let serve = """
            import http.server, json, os, socketserver
            scale = len(open("weights.bin", "rb").read()) / 1024
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                    data = json.dumps({"predictions": [r["x"] * scale for r in body["inputs"]]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
            class Server(socketserver.UnixStreamServer):
                def get_request(self):
                    return super().get_request()[0], ("endpoint", 0)
            Server(os.environ["MLEX_ENDPOINT_SOCKET"], Handler).serve_forever()
            """
        return ModelPackage(
            card: [
                "name": .string(name), "version": "2.0.0", "description": "scales a reading by its weights",
                "task": "regression", "framework": "python", "license": "MIT",
                "command": ["/usr/bin/python3", "serve.py"], "resources": ["cpus": 0.5, "memoryMB": 256],
                "inputSchema": [
                    "type": "object", "required": ["x"],
                    "properties": ["x": ["type": "number", "minimum": -100, "maximum": 100]],
                ],
            ], files: ["serve.py": Data(serve.utf8), "weights.bin": Data(count: 4096)])
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
