import Foundation
import Platform
import PlatformTesting

/// The built `mlex` run as a person would run it: its own HOME (so its own
/// ~/.config/mlex/config), the gateway's URL in MLEX_URL, a working directory, stdin.
struct Mlex {
    let home: URL
    let url: String

    struct Result {
        let status: Int32
        let out: String
        let err: String
        var trimmed: String { out.trimmingCharacters(in: .whitespacesAndNewlines) }
        var json: JSONValue { (try? JSONValue.parse(out)) ?? .null }
    }

    init(url: String) throws {
        self.home = try temporaryDirectory()
        self.url = url
    }

    func callAsFunction(
        _ arguments: String..., stdin: String? = nil, in directory: URL? = nil, environment: [String: String] = [:]
    ) throws -> Result {
        try run(arguments, stdin: stdin, in: directory, environment: environment)
    }

    func run(
        _ arguments: [String], stdin: String? = nil, in directory: URL? = nil, environment: [String: String] = [:]
    ) throws -> Result {
        let scratch = try temporaryDirectory()
        let outFile = scratch.appendingPathComponent("out")
        let errFile = scratch.appendingPathComponent("err")
        let inFile = scratch.appendingPathComponent("in")
        for file in [outFile, errFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        try Data((stdin ?? "").utf8).write(to: inFile)
        let process = Process()
        process.executableURL = repositoryRoot().appendingPathComponent(".build/debug/mlex")
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? home
        process.environment = [
            "HOME": home.path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "MLEX_URL": url,
        ].merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        process.standardInput = try FileHandle(forReadingFrom: inFile)
        try process.run()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: scratch) }
        return Result(
            status: process.terminationStatus,
            out: try String(contentsOf: outFile, encoding: .utf8), err: try String(contentsOf: errFile, encoding: .utf8)
        )
    }
}

/// A git repository holding a tiny training project, committed.
struct TrainingRepository {
    let root: URL

    static let mainPy = """
        import json, os

        def main(dataset_dir, model_output_dir):
            rows = open(os.path.join(dataset_dir, "train.csv")).read().split()
            params = json.loads(os.environ.get("MLEX_PARAMS", "{}"))
            total = 0.0
            for i, row in enumerate(rows):
                total += float(row)
                print(f"::mlex progress {(i + 1) / len(rows):.2f} epoch {i + 1}", flush=True)
                print(f"::mlex metric loss {1.0 / (i + 1):.4f} {i}", flush=True)
            print("trained on", len(rows), "rows", flush=True)
            print("::mlex metric accuracy 0.95", flush=True)
            with open(os.path.join(model_output_dir, "model.txt"), "w") as model:
                model.write(f"weights {total} lr {params.get('lr')}\\n")
            os.makedirs(os.path.join(model_output_dir, "ckpt"))
            with open(os.path.join(model_output_dir, "ckpt", "last.bin"), "wb") as checkpoint:
                checkpoint.write(bytes(range(256)) * 1000)

        """

    static func make(project: String) throws -> TrainingRepository {
        let root = try temporaryDirectory()
        let files = [
            "main.py": mainPy,
            "task.yaml": """
            project: \(project)
            job_data:
              dataset:
                dataset_location: ./data
                dataset_name: numbers
            worker_required: 1
            resources: {cpus: 0.5, memoryMB: 256}
            params: {lr: 0.01}
            timeoutSeconds: 120

            """,
            "sleep.yaml": """
            project: \(project)
            name: sleeper
            command: [/usr/bin/python3, -c, "import time; print('sleeping', flush=True); time.sleep(600)"]
            resources: {cpus: 0.5, memoryMB: 128}

            """,
            "timeout.yaml": """
            project: \(project)
            name: too-slow
            command: [/usr/bin/python3, -c, "import time; time.sleep(600)"]
            resources: {cpus: 0.5, memoryMB: 128}
            timeoutSeconds: 1

            """,
            "typo.yaml": "project: \(project)\nresources: {cpus: 1, memoryMb: 64}\n",
            ".gitignore": "data/\n",
        ]
        for (name, text) in files {
            try text.write(to: root.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        try "1\n2\n3\n".write(to: root.appendingPathComponent("data/train.csv"), atomically: true, encoding: .utf8)
        let repository = TrainingRepository(root: root)
        try repository.git("init", "-q")
        try repository.git("add", ".")
        try repository.git("commit", "-q", "-m", "tiny model")
        return repository
    }

    func git(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments =
            ["-c", "user.name=Test", "-c", "user.email=test@lab.example", "-c", "init.defaultBranch=main"] + arguments
        process.currentDirectoryURL = root
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
    }
}
