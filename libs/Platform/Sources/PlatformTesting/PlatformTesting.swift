import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Platform
import Synchronization
import Testing

/// Helpers every service's tests share; nothing here is linked into a service.

/// A fresh state directory per test, so tests run side by side. Deleted when the test process
/// exits: a `make test` makes hundreds, and /tmp is not cleaned for us.
public func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mlex-test-\(ID.make())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    temporaryDirectories.withLock { directories in
        // Registered before the first server's stop (stopAtExit), so it runs after it: exit
        // handlers run last-registered first.
        if directories.isEmpty {
            atexit {
                for directory in temporaryDirectories.withLock({ $0 }) {
                    detachMounts(under: directory)
                    try? FileManager.default.removeItem(at: directory)
                }
            }
        }
        directories.append(url)
    }
    return url
}

private let temporaryDirectories = Mutex<[URL]>([])

/// Lazily unmounts what a test left mounted under `directory` (a job's loop-mounted disk, when
/// a failing test left its job behind), deepest first, so deleting the directory cannot fail on
/// a mount point and no loop device outlives the test run.
private func detachMounts(under directory: URL) {
    guard let table = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return }
    let prefix = directory.standardizedFileURL.path + "/"
    let points = table.split(separator: "\n").compactMap { line -> String? in
        let fields = line.split(separator: " ")
        guard fields.count > 1 else { return nil }
        // /proc/mounts writes a space in a path as \040.
        let point = fields[1].replacingOccurrences(of: "\\040", with: " ")
        return point.hasPrefix(prefix) ? point : nil
    }
    for point in points.sorted(by: { $0.count > $1.count }) { umount2(point, Int32(MNT_DETACH)) }
}

/// The repository checkout, found from the calling source file.
public func repositoryRoot(file: String = #filePath) -> URL {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}

/// A port nothing listens on right now (bind to 0, read it back, close).
public func freePort() throws -> Int {
    try LoopbackPort.free()
}

/// Retries while a server is still binding; the last attempt's error is the one thrown.
public func withRetries<T: Sendable>(
    _ attempts: Int = 50, _ operation: @Sendable () async throws -> T
) async throws -> T {
    for _ in 1..<attempts {
        if let value = try? await operation() { return value }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await operation()
}

extension ByteBuffer {
    /// The body as a JSON object (empty when it is not one).
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The `error` object of the platform's error envelope.
    public var apiError: [String: Any] {
        json["error"] as? [String: Any] ?? [:]
    }
}

/// Fetches the app's /openapi.json and calls every documented operation with ids filled in:
/// none may answer `route_not_found`. Together with the build-time check that every router
/// route is documented, the document cannot drift from the code.
public func expectDocumentMatchesRoutes(
    _ app: some ApplicationProtocol, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    try await app.test(.router) { client in
        let document = try await client.execute(uri: "/openapi.json", method: .get) { $0.body.json }
        #expect(document["openapi"] as? String == "3.1.0", sourceLocation: sourceLocation)
        let paths = try #require(document["paths"] as? [String: [String: Any]], sourceLocation: sourceLocation)
        for (path, operations) in paths {
            let concrete = path.replacingOccurrences(of: #"\{[^}]+\}"#, with: ID.make(), options: .regularExpression)
            for method in operations.keys {
                let response = try await client.execute(uri: concrete, method: HTTPRequest.Method(method.uppercased())!)
                #expect(
                    response.body.apiError["code"] as? String != "route_not_found",
                    "\(method) \(path) is documented but not served", sourceLocation: sourceLocation
                )
            }
        }
    }
}

/// Runs `openapi-spec-validator` (installed by `make deps` into the repo's venv) on a document.
public func validateOpenAPI(_ document: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let file = try temporaryDirectory().appendingPathComponent("openapi.json")
    try Data(document.readableBytesView).write(to: file)
    let validator = repositoryRoot().appendingPathComponent(".venv/bin/openapi-spec-validator")
    try #require(
        FileManager.default.isExecutableFile(atPath: validator.path), "run `make deps` to create .venv",
        sourceLocation: sourceLocation)
    let process = Process()
    process.executableURL = validator
    process.arguments = [file.path]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)", sourceLocation: sourceLocation)
}

/// A logger that prints nothing, so test output stays readable. Unlike swift-log's no-op handler
/// it keeps metadata, which Hummingbird reads back (the request id).
public func quietLogger(_ label: String = "test") -> Logger {
    Logger(label: label) { _ in SilentLogHandler() }
}

struct SilentLogHandler: LogHandler {
    var logLevel: Logger.Level = .critical
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {}
}

/// Settings to build `service`'s application in a test: a fresh state dir, the repository's
/// db/ definitions, the embedded store, and the shared real users service to trust.
public func serviceTestSettings(_ service: ServiceName, extraSettings: [Setting]) async throws -> ServiceSettings {
    let users = try UsersServer.shared()
    return try await ServiceSettings.forTesting(
        service, stateDirectory: try temporaryDirectory(), extraSettings: extraSettings,
        environment: users.environment().merging([
            "MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": "",
        ]) { $1 }
    )
}

/// The application's OpenAPI document matches the routes it serves and is valid OpenAPI 3.1.
public func expectValidOpenAPI(
    _ app: some ApplicationProtocol, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    try await expectDocumentMatchesRoutes(app, sourceLocation: sourceLocation)
    try await app.test(.router) { client in
        try await client.execute(uri: "/openapi.json", method: .get) { response in
            try validateOpenAPI(response.body, sourceLocation: sourceLocation)
        }
    }
}

/// How a child process ended: its exit code, or nil when a signal ended it or it did not end
/// within `patience`. Polls rather than `Process.waitUntilExit()`: with many children spawned
/// at once Foundation can miss one's exit on Linux, and waitUntilExit then blocks forever (a
/// whole test run hung on a gateway that had exited, a zombie nobody reaped). So the child is
/// reaped here if Foundation has not done it.
public func exitCode(of process: Process, patience: Duration = .seconds(30)) async throws -> Int32? {
    let pid = process.processIdentifier
    let deadline = ContinuousClock.now + patience
    while ContinuousClock.now < deadline {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid {
            // Exited: the low 7 bits are 0 and the code is the next byte; otherwise a signal.
            return status & 0x7f == 0 ? (status >> 8) & 0xff : nil
        }
        if reaped < 0, !process.isRunning {  // Foundation reaped it first
            return process.terminationReason == .exit ? process.terminationStatus : nil
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return nil
}
