import Foundation
import Platform
import PlatformTesting

/// Users, data, compute and mlhub as real processes (LocalPlatform) with the gateway, as `make
/// run` starts them: what MLflow's own client (the pytest suite in apps/web/Tests/mlflow) logs to.
struct MLflowPlatform: Sendable {
    let users: UsersServer
    let gatewayURL: String
    let dataURL: String
    /// The log files of data and mlhub, which a failure report quotes.
    let logs: [URL]

    static let shared = Result { () throws -> MLflowPlatform in
        let platform = try LocalPlatform.start()
        let hubState = try temporaryDirectory()
        let hub = try platform.startService(.mlhub, state: hubState)
        stopAtExit(hub.pid)
        let gatewayURL = try platform.startGateway(environment: ["MLEX_MLHUB_URL": hub.url])
        return MLflowPlatform(
            users: platform.users, gatewayURL: gatewayURL, dataURL: platform.dataURL,
            logs: [platform.dataLog, hubState.appendingPathComponent("service.log")])
    }

    /// A newly registered user's access token and personal API token (`mlx_…`), what a script's
    /// MLFLOW_TRACKING_TOKEN holds.
    func newAccount(_ prefix: String) async throws -> (accessToken: String, apiToken: String) {
        let user = try await users.signUp("\(prefix)-\(ID.make().suffix(12))@lab.example")
        let created = try await users.call("POST", "/v1/tokens", #"{"name": "mlflow"}"#, token: user.token)
        guard let secret = created["token"]?.stringValue, secret.hasPrefix("mlx_") else {
            throw MLflowSetupFailure(description: "no API token: \(created.jsonText)")
        }
        return (user.token, secret)
    }

    /// The last warnings and errors data and mlhub logged (a 5xx is logged with its cause).
    func problems() -> String {
        logs.map { log in
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n").filter {
                $0.contains(" error ") || $0.contains(" critical ") || $0.contains(" warning ")
            }
            return lines.isEmpty ? "" : "\n--- \(log.path) ---\n" + lines.suffix(30).joined(separator: "\n")
        }.joined()
    }
}

/// Runs the pytest suite in apps/web/Tests/mlflow with `environment` added (`runPytest`); the
/// exit status, nil when it ran past `limit` and was killed.
func runMLflowSuite(
    environment: [String: String], arguments: [String] = [], limit: TimeInterval
) async throws -> (status: Int32?, output: String) {
    try await runPytest(
        ["-x", "-q", repositoryRoot().appendingPathComponent("apps/web/Tests/mlflow").path] + arguments,
        environment: [
            // A 5xx must fail its test at once, not after MLflow's client backs off and retries for minutes.
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"
        ].merging(environment) { $1 }, limit: limit)
}

/// Setting up the platform for the suite failed (a token not made, say).
struct MLflowSetupFailure: Error, CustomStringConvertible {
    let description: String
}
