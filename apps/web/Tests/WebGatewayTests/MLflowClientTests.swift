import Foundation
import Platform
import PlatformTesting
import Testing

/// MLflow's own Python client (mlflow-skinny, pinned in config/python-tools.txt) logs to users,
/// data, mlhub and the gateway running as processes, with nothing but MLFLOW_TRACKING_URI and
/// MLFLOW_TRACKING_TOKEN (a personal API token) set, as a training script would; the pytest
/// suite in apps/web/Tests/mlflow then reads everything back through our own API and checks it
/// matches. docs/mlflow.md describes the mapping it checks. Its own `make test` step: the 200 MB
/// artifacts would otherwise compete with every other suite for the 2 cores.
@Suite("MLflowClientTests: MLflow's own client against MLExchange", .serialized)
struct MLflowClientTests {
    /// Seconds a pytest run may take before it is stopped and the test fails.
    static let runLimit: TimeInterval = 240

    var platform: MLflowPlatform { get throws { try MLflowPlatform.shared.get() } }

    @Test("the whole suite, with the gateway as tracking URI: the caller's default project")
    func defaultProject() async throws {
        let platform = try platform
        let account = try await platform.newAccount("mlflow")
        try await expectSuitePasses(
            platform, trackingURI: platform.gatewayURL, project: "", token: account.apiToken, arguments: [])
    }

    @Test("again with `/mlflow/<project name>` as tracking URI, without the 200 MB artifacts")
    func namedProject() async throws {
        let platform = try platform
        let account = try await platform.newAccount("mlflow-named")
        let name = "mlflow-\(ID.make().suffix(8))"
        let project = try await httpCall(
            platform.dataURL + "/v1/projects", "POST", ["name": .string(name)], token: account.accessToken)
        try #require(project.status == 201, "creating the project: \(project.body.jsonText)")
        try await expectSuitePasses(
            platform, trackingURI: "\(platform.gatewayURL)/mlflow/\(name)", project: name, token: account.apiToken,
            arguments: ["-k", "not 200mb"])
    }

    @Test("the tracking tests with `/mlflow/<project id>` as tracking URI")
    func projectByID() async throws {
        let platform = try platform
        let account = try await platform.newAccount("mlflow-id")
        let project = try await httpCall(
            platform.dataURL + "/v1/projects", "POST", ["name": "mlflow-by-id"], token: account.accessToken)
        let id = try #require(project.body["id"]?.stringValue, "creating the project: \(project.body.jsonText)")
        try await expectSuitePasses(
            platform, trackingURI: "\(platform.gatewayURL)/mlflow/\(id)", project: id, token: account.apiToken,
            arguments: ["-k", "test_tracking"])
    }

    @Test("without a token MLflow's routes answer 401 in MLflow's error shape")
    func unauthenticated() async throws {
        let platform = try platform
        for path in ["/api/2.0/mlflow/experiments/search", "/mlflow/anything/api/2.0/mlflow/experiments/search"] {
            let answer = try await httpCall(platform.gatewayURL + path, "POST", ["max_results": 10], token: nil)
            #expect(answer.status == 401, "\(path): \(answer.body.jsonText)")
            #expect(answer.body["error_code"]?.stringValue == "UNAUTHENTICATED", "\(path): \(answer.body.jsonText)")
        }
    }

    func expectSuitePasses(
        _ platform: MLflowPlatform, trackingURI: String, project: String, token: String, arguments: [String]
    ) async throws {
        let python = repositoryRoot().appendingPathComponent(".venv/bin/python")
        try #require(
            FileManager.default.isExecutableFile(atPath: python.path),
            "\(python.path) is missing: run `make deps` (it installs config/python-tools.txt into .venv)")
        let started = Date()
        let (status, output) = try await runMLflowSuite(
            environment: [
                "MLFLOW_TRACKING_URI": trackingURI, "MLFLOW_TRACKING_TOKEN": token,
                "MLEX_API_URL": platform.gatewayURL, "MLEX_API_TOKEN": token, "MLEX_PROJECT": project,
            ], arguments: arguments, limit: Self.runLimit)
        let summary = output.split(separator: "\n").last.map(String.init) ?? ""
        print(
            "MLflow suite, tracking URI \(trackingURI): \(summary) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
        )
        if let status {
            #expect(status == 0, "pytest failed (exit status \(status)):\n\(output)\(platform.problems())")
        } else {
            Issue.record("pytest did not finish within \(Int(Self.runLimit)) s:\n\(output)\(platform.problems())")
        }
    }
}
