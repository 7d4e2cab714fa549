import Foundation
import Platform
import PlatformTesting
import Testing

/// The `mlexchange` Python client (clients/python, installed into .venv by `make deps`) against
/// users, data, compute, an agent and the gateway as processes: the pytest suite in
/// clients/python/tests/integration logs through the gateway with a personal API token, as a
/// training script would, stops data (SIGSTOP) to see nothing is lost, runs a job whose code
/// uses the client, and reads everything back through our API. Its own `make test` step: 100k
/// points, a 100 MB artifact and a job would otherwise compete with every other suite.
@Suite("PythonClientTests: the mlexchange Python client against the platform", .serialized)
struct PythonClientTests {
    /// Seconds the pytest run may take before it is stopped and the test fails.
    static let runLimit: TimeInterval = 300

    @Test("the unit and integration suites pass")
    func integrationSuite() async throws {
        let python = repositoryRoot().appendingPathComponent(".venv/bin/python")
        try #require(
            FileManager.default.isExecutableFile(atPath: python.path),
            "\(python.path) is missing: run `make deps` (it installs clients/python into .venv)")
        let setup = try PythonClientPlatform.shared.get()
        let token = try await setup.newAPIToken()
        let dataPID = setup.platform.dataPID
        let started = Date()
        let (status, output) = try await runPythonClientSuite(
            environment: [
                "MLEX_TEST_URL": setup.gatewayURL, "MLEX_TEST_TOKEN": token, "MLEX_TEST_DATA_PID": String(dataPID),
                "MLEX_TEST_QUEUE": PythonClientPlatform.queue,
                "MLEX_TEST_CLIENT_SOURCE": repositoryRoot().appendingPathComponent("clients/python/mlexchange").path,
            ], limit: Self.runLimit)
        // A suite killed while data was stopped must not leave it stopped for the next suites.
        kill(dataPID, SIGCONT)
        let summary = output.split(separator: "\n").last.map(String.init) ?? ""
        print("mlexchange suite: \(summary) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        if let status {
            #expect(status == 0, "pytest failed (exit status \(status)):\n\(output)\(setup.problems())")
        } else {
            Issue.record("pytest did not finish within \(Int(Self.runLimit)) s:\n\(output)\(setup.problems())")
        }
    }
}
