import Foundation
import Platform
import PlatformTesting

/// Users, data, compute, one agent (local sandbox executor) and the gateway as real processes,
/// as `make run` starts them: what the `mlexchange` Python client's integration suite
/// (clients/python/tests/integration) logs to, runs jobs on, and stops data of.
struct PythonClientPlatform: Sendable {
    /// The queue the agent serves; the suite's job names it.
    static let queue = "python-client"

    let platform: LocalPlatform
    let gatewayURL: String

    static let shared = Result { () throws -> PythonClientPlatform in
        let platform = try LocalPlatform.start()
        stopAtExit(
            try platform.startAgent(
                queue: queue, state: try temporaryDirectory(), node: .init(cpus: 2, memoryMB: 2048, pidsLimit: 64)))
        return PythonClientPlatform(platform: platform, gatewayURL: try platform.startGateway())
    }

    /// A newly registered user's personal API token (`mlx_…`), what a script's MLEX_TOKEN holds.
    func newAPIToken() async throws -> String {
        let users = platform.users
        let user = try await users.signUp("python-\(ID.make().suffix(12))@lab.example")
        let created = try await users.call("POST", "/v1/tokens", #"{"name": "python client"}"#, token: user.token)
        guard let secret = created["token"]?.stringValue, secret.hasPrefix("mlx_") else {
            throw PythonClientSetupFailure(description: "no API token: \(created.jsonText)")
        }
        return secret
    }

    /// The last warnings and errors data logged (a 5xx is logged with its cause).
    func problems() -> String {
        let text = (try? String(contentsOf: platform.dataLog, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").filter {
            $0.contains(" error ") || $0.contains(" critical ") || $0.contains(" warning ")
        }
        return lines.isEmpty ? "" : "\n--- \(platform.dataLog.path) ---\n" + lines.suffix(30).joined(separator: "\n")
    }
}

/// Runs pytest on clients/python/tests (unit, then integration) with `environment` added
/// (`runPytest`: HOME and XDG_CONFIG_HOME in a scratch directory, so no saved `mlex` login is
/// picked up); the exit status, nil when it ran past `limit` and was killed.
func runPythonClientSuite(
    environment: [String: String], limit: TimeInterval
) async throws -> (status: Int32?, output: String) {
    try await runPytest(
        [
            "-q", "-rA", "--durations=5",
            // The unit tests (against a stub server in the test) first, then the real platform.
            repositoryRoot().appendingPathComponent("clients/python/tests/unit").path,
            repositoryRoot().appendingPathComponent("clients/python/tests/integration").path,
        ], environment: environment,
        // Only what a user's shell would have: a job's MLEX_* here would switch the client to job mode.
        dropping: { $0.hasPrefix("MLEX_") }, limit: limit)
}

/// Setting up the platform for the suite failed (no API token made, say).
struct PythonClientSetupFailure: Error, CustomStringConvertible {
    let description: String
}
