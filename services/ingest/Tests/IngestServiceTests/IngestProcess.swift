import Foundation
import Platform
import PlatformTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An ingest process of a test's own on FlowCluster's platform (users, data, bus), with settings
/// of its own (small limits) and its state directory in reach, so a test can look at what a
/// package left in `<state>/ingest/staging`, or stop the process and start it again there.
struct IngestProcess: Sendable {
    let url: String
    let pid: pid_t
    let state: URL
    let settings: [String: String]
    let cluster: FlowCluster

    /// Starts `mlex-ingest` as `LocalPlatform.startService` does, plus `settings`.
    static func start(
        on cluster: FlowCluster, state: URL? = nil, settings: [String: String] = [:]
    ) throws -> IngestProcess {
        let platform = cluster.platform
        let credential = try LocalPlatform.credentialFile(.ingest, platform.users)
        let state = try state ?? temporaryDirectory()
        let port = try freePort()
        let environment = platform.users.environment().merging([
            "MLEX_CONFIG_DIR": "/nonexistent", "MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path,
            "MLEX_STORE": "",
            "MLEX_STATE_DIR": state.path, "MLEX_INGEST_PORT": String(port), "MLEX_INGEST_HOST": "127.0.0.1",
            "MLEX_DATA_URL": platform.dataURL, "MLEX_COMPUTE_URL": platform.computeURL,
            "MLEX_SERVICE_CREDENTIAL_FILE": credential,
        ]) { $1 }.merging(settings) { $1 }
        let pid = try startPlatformProcess(
            "mlex-ingest", environment: environment, port: port,
            log: state.appendingPathComponent("service-\(port).log"))
        stopAtExit(pid)
        return IngestProcess(
            url: "http://127.0.0.1:\(port)", pid: pid, state: state, settings: settings, cluster: cluster)
    }

    /// Where packages are staged and unpacked while they are checked.
    var staging: URL { state.appendingPathComponent("ingest/staging", isDirectory: true) }

    /// What is left in the staging directory (nothing once every answer has been sent).
    func leftovers() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []
    }

    func ingest(_ package: Data, project: String, token: String) async throws -> (status: Int, body: JSONValue) {
        try await httpSend(
            url + "/v1/models?projectId=\(project)", "POST", bytes: package, contentType: "application/x-tar",
            token: token)
    }

    /// Kills the process at once (SIGKILL: no graceful shutdown, as in a crash).
    func crash() {
        _ = kill(pid, SIGKILL)
    }

    /// Another process on the same state directory and settings.
    func restarted() throws -> IngestProcess {
        try Self.start(on: cluster, state: state, settings: settings)
    }
}
