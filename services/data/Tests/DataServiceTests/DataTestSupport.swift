import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

/// The real data application on a fresh state dir and store, trusting the shared real users
/// service (`UsersServer`) and listening to its events on the same bus. `store` is
/// `MLEX_STORE`; `StoreBackend.url` gives the backends the tests run on.
func dataApp(store: String = "", state: URL? = nil) async throws -> some ApplicationProtocol {
    let users = try UsersServer.shared()
    let settings = try await ServiceSettings.forTesting(
        .data, stateDirectory: try state ?? temporaryDirectory(), extraSettings: DataApp.extraSettings,
        environment: users.environment().merging([
            "MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": store,
        ]) { $1 }
    )
    return try await DataApp.buildApplication(settings: settings, logger: quietLogger())
}

/// A new user with a unique email: id and access token.
func newUser(_ name: String = "user") async throws -> (id: String, token: String) {
    try await UsersServer.shared().signUp("\(name)-\(UUID().uuidString.prefix(8).lowercased())@lab.example")
}

extension TestClientProtocol {
    /// Creates what most tests start from: a project owned by `token`, an experiment in it.
    func projectAndExperiment(
        _ token: String, project: String = "vision"
    ) async throws -> (project: String, experiment: String) {
        let created = try await call(.post, "/v1/projects", token: token, json: #"{"name": "\#(project)"}"#)
        try #require(created.status == .created, "\(created.body)")
        let experiment = try await call(
            .post, "/v1/projects/\(created.body["id"]?.text ?? "")/experiments", token: token,
            json: #"{"name": "baseline"}"#)
        try #require(experiment.status == .created, "\(experiment.body)")
        return (created.body["id"]?.text ?? "", experiment.body["id"]?.text ?? "")
    }

    /// Starts a run with `json` as its body; its id.
    func newRun(_ token: String, experiment: String, _ json: String = "{}") async throws -> String {
        let run = try await call(.post, "/v1/experiments/\(experiment)/runs", token: token, json: json)
        try #require(run.status == .created, "\(run.body)")
        return run.body["id"]?.text ?? ""
    }
}

/// The document stores the service is tested on: the embedded SQLite file, and MongoDB
/// through libmongoc against nx-27017 (started once per test process).
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, mongodb

    var testDescription: String { rawValue }

    func url() throws -> String {
        switch self {
        case .sqlite: ""
        // nx-27017 interleaves the transactions of concurrent sessions on its one SQLite
        // connection ("no such savepoint", seen in CI); the journal keeps batches atomic without them.
        case .mongodb: try WireServers.mongoDatabaseURL() + "&mlexBatch=journal"
        }
    }
}
