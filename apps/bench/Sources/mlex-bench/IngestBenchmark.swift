import AsyncHTTPClient
import Crypto
import Foundation
import IngestService
import Logging
import MLHubService
import NIOCore
import Platform

/// Ingest's goals: how soon an ingested model is searchable in the hub (goal p50 < 200 ms on the
/// SQLite log) and how many small packages are ingested per second. Users, data, mlhub and
/// ingest run in this process on one embedded bus; each package is a tiny card and two files,
/// made with tar beforehand. The reference is the POST alone.
struct IngestBenchmark {
    let directory: URL
    let packages: Int

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        let state = directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let services = try await BenchServices.start(directory: state)
        defer { services.stop() }
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let hubPort = try LoopbackPort.free()
        let ingestPort = try LoopbackPort.free()
        let environment = services.environment.merging([
            "MLEX_MLHUB_PORT": String(hubPort), "MLEX_INGEST_PORT": String(ingestPort),
        ]) { $1 }
        let hubTask = try await BenchServices.run(
            MLHubApp.buildApplication(
                settings: try await ServiceSettings.forTesting(
                    .mlhub, stateDirectory: state, extraSettings: MLHubApp.extraSettings, environment: environment),
                logger: logger))
        let ingestTask = try await BenchServices.run(
            IngestApp.buildApplication(
                settings: try await ServiceSettings.forTesting(
                    .ingest, stateDirectory: state, extraSettings: IngestApp.extraSettings, environment: environment),
                logger: logger))
        defer {
            hubTask.cancel()
            ingestTask.cancel()
        }
        let project = try await services.client.call("POST", "/v1/projects", #"{"name": "ingest"}"#)["id"]!.stringValue!
        let hub = APIClient(base: "http://127.0.0.1:\(hubPort)")
        hub.token = services.client.token
        // The hub learns the owner's membership from data's events before it shows private models.
        try await Task.sleep(for: .seconds(1))

        let made = try (0..<packages).map {
            try Self.package(index: $0, in: directory.appendingPathComponent("packages"))
        }
        var post = Measurement(name: "POST /v1/models (checked, stored in data)", operations: packages)
        var searchable = Measurement(name: "accepted → found by GET /v1/search", operations: packages)
        var total = Measurement(name: "POST start → found by search", operations: packages)
        let began = ContinuousClock.now
        for (word, tar) in made {
            let start = ContinuousClock.now
            let answer = try await Self.send(
                tar, to: "http://127.0.0.1:\(ingestPort)/v1/models?projectId=\(project)",
                token: services.client.token ?? "")
            guard answer == 201 else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "ingest answered \(answer)"])
            }
            let accepted = ContinuousClock.now
            while try await hub.call("GET", "/v1/search?q=\(word)&facets=false&projectId=\(project)")["items"]?
                .arrayValue?.isEmpty != false
            {
                try await Task.sleep(for: .milliseconds(2))
            }
            let found = ContinuousClock.now
            post.latencies.append(accepted - start)
            searchable.latencies.append(found - accepted)
            total.latencies.append(found - start)
        }
        let elapsed = ContinuousClock.now - began
        post.elapsed = elapsed
        searchable.elapsed = elapsed
        total.elapsed = elapsed
        Table.printRates(
            title: "ingest: \(packages) small packages one after another, each awaited until searchable",
            rows: [post, searchable, total], reference: "the POST alone", unit: "packages/s")
    }

    /// A package whose description holds one word no other has: (that word, its tar).
    static func package(index: Int, in directory: URL) throws -> (String, Data) {
        var rest = index
        var letters = ""
        repeat {
            letters.append(Character(UnicodeScalar(UInt8(97 + rest % 26))))
            rest /= 26
        } while rest > 0
        let word = "zq\(letters)x"
        let folder = directory.appendingPathComponent("p\(index)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let files = [
            "weights.bin": Data((0..<1024).map { UInt8(($0 + index) % 256) }), "run.py": Data("print('hi')\n".utf8),
        ]
        var listed: [JSONValue] = []
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            try bytes.write(to: folder.appendingPathComponent(path))
            listed.append([
                "path": .string(path), "size": .int(Int64(bytes.count)),
                "sha256": .string(SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()),
            ])
        }
        let card: JSONValue = [
            "name": .string("bench-\(index)"), "version": "1.0.0", "description": .string("benchmark model \(word)"),
            "task": "bench",
            "command": ["/usr/bin/python3", "run.py"], "files": .array(listed),
        ]
        try Data(card.jsonText.utf8).write(to: folder.appendingPathComponent("model.json"))
        let archive = directory.appendingPathComponent("p\(index).tar")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        process.arguments = ["-cf", archive.path, "-C", folder.path, "."]
        try process.run()
        process.waitUntilExit()
        return (word, try Data(contentsOf: archive))
    }

    static func send(_ body: Data, to url: String, token: String) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }
}
