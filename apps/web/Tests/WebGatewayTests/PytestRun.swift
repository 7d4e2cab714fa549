import Foundation
import PlatformTesting

/// Runs `.venv/bin/python -m pytest` with `arguments` in a scratch directory (nothing is written
/// into the checkout; HOME and XDG_CONFIG_HOME point there too), with `environment` over this
/// process's minus the variables `dropping` names, its output in a file so no pipe fills up. The
/// exit status, nil when it ran past `limit` and was killed; the output either way.
func runPytest(
    _ arguments: [String], environment: [String: String], dropping: (String) -> Bool = { _ in false },
    limit: TimeInterval
) async throws -> (status: Int32?, output: String) {
    let directory = try temporaryDirectory()
    let log = directory.appendingPathComponent("pytest.out")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    defer { try? handle.close() }
    let process = Process()
    process.executableURL = repositoryRoot().appendingPathComponent(".venv/bin/python")
    process.arguments =
        ["-m", "pytest", "-p", "no:cacheprovider", "--basetemp", directory.appendingPathComponent("tmp").path]
        + arguments
    process.currentDirectoryURL = directory
    let inherited = ProcessInfo.processInfo.environment.filter { !dropping($0.key) }
    process.environment = inherited.merging(
        [
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "HOME": directory.path,
            "XDG_CONFIG_HOME": directory.appendingPathComponent("config").path,
        ].merging(environment) { $1 }
    ) { $1 }
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(limit)
    while process.isRunning && Date() < deadline {
        try await Task.sleep(for: .milliseconds(200))
    }
    let finished = !process.isRunning
    if !finished { kill(process.processIdentifier, SIGKILL) }
    while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    let output = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
    return (finished ? process.terminationStatus : nil, output)
}
