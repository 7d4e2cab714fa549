import AsyncHTTPClient
import Foundation
import PlatformTesting
import Testing

/// The real executable, as `make run` starts it: configuration from the environment, a real
/// port, JSON logs, and a clean exit on SIGTERM.
@Suite("mlex-web process")
struct ProcessLifecycleTests {
    @Test("starts, answers, and exits 0 on SIGTERM leaving its state dir in place", .timeLimit(.minutes(1)))
    func sigtermStopsCleanly() async throws {
        let binary = repositoryRoot().appendingPathComponent(".build/debug/mlex-web")
        try #require(
            FileManager.default.isExecutableFile(atPath: binary.path), "build first: swift build --build-tests")
        let port = try freePort()
        let state = try temporaryDirectory()
        let process = Process()
        process.executableURL = binary
        process.environment = [
            "MLEX_WEB_PORT": String(port), "MLEX_STATE_DIR": state.path, "MLEX_LOG_FORMAT": "json",
            "MLEX_CONFIG_DIR": repositoryRoot().appendingPathComponent("config").path,
        ]
        let logs = Pipe()
        process.standardError = logs
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let response = try await withRetries {
            try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(2))
        }
        #expect(response.status.code == 200)
        #expect(response.headers.first(name: "X-Request-Id") != nil)

        kill(process.processIdentifier, SIGTERM)
        #expect(try await exitCode(of: process) == 0)
        let lines = String(decoding: logs.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(
            separator: "\n")
        let messages = lines.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["message"] as? String
        }
        #expect(messages.count == lines.count, "every log line is JSON")
        #expect(messages.contains("stopped cleanly"))
        #expect(FileManager.default.fileExists(atPath: state.path))
    }
}
