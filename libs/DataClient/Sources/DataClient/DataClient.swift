import Foundation
import Platform

/// The data service's API as other services use it (docs/design.md §4): data owns runs, files and
/// datasets, so compute and its agents create a job's run, append its logs, metrics, params and
/// tags, and move files through these calls, never through data's store.
public struct DataClient: Sendable {
    public let peer: PeerClient

    public init(_ peer: PeerClient) {
        self.peer = peer
    }

    /// The run of a compute job, created on first call (`PUT /v1/jobs/{jobId}/run`, idempotent).
    /// The data service as another service reaches it: its URL from the settings
    /// (`MLEX_DATA_URL`), calls made with `token` (the service's own, or a user's).
    public static func peer(
        of settings: ServiceSettings, token: @escaping @Sendable () async throws -> String
    ) -> DataClient {
        DataClient(
            PeerClient(
                baseURL: settings.peerURLs[.data] ?? "http://127.0.0.1:\(ServiceName.data.defaultPort)", token: token))
    }

    /// The same data service, called with another token (a user's, to act as that user).
    public func acting(with token: @escaping @Sendable () async throws -> String) -> DataClient {
        DataClient(PeerClient(baseURL: peer.baseURL, token: token))
    }

    public func jobRun(
        jobID: String, projectID: String, name: String, params: [String: JSONValue], tags: [String: JSONValue] = [:],
        submittedBy: String?
    ) async throws -> JSONValue {
        var body: JSONValue = ["projectId": .string(projectID), "name": .string(name), "params": .object(params)]
        if !tags.isEmpty { body["tags"] = .object(tags) }
        if let submittedBy { body["submittedBy"] = .string(submittedBy) }
        return try await peer.call(.PUT, "/v1/jobs/\(jobID)/run", body: body)
    }

    public func linkInput(run runID: String, datasetVersion versionID: String) async throws {
        try await peer.call(.PUT, "/v1/runs/\(runID)/inputs/\(versionID)")
    }

    public func run(_ id: String) async throws -> JSONValue {
        try await peer.call(.GET, "/v1/runs/\(id)")
    }

    /// The project an MLflow request acts in (docs/mlflow.md): `reference` is a project id or
    /// the name of one of the caller's projects, nil the caller's default project (which data
    /// creates on first use). Call it acting with the caller's token: `{projectId, role}`.
    public func resolveMLflowProject(_ reference: String?) async throws -> JSONValue {
        try await peer.call(
            .POST, "/v1/mlflow/projects/resolve", body: reference.map { ["project": .string($0)] } ?? [:])
    }

    public func datasetVersion(_ id: String) async throws -> JSONValue {
        try await peer.call(.GET, "/v1/dataset-versions/\(id)")
    }

    public func members(ofProject projectID: String) async throws -> [JSONValue] {
        try await peer.call(.GET, "/v1/projects/\(projectID)/members")["items"]?.arrayValue ?? []
    }

    /// Every file of a run, project or dataset version under `prefix`, following the pages.
    public func files(of owner: FileOwner, prefix: String = "") async throws -> [JSONValue] {
        var items: [JSONValue] = []
        var after: String?
        repeat {
            var query =
                "?limit=1000&prefix=\(prefix.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? prefix)"
            if let after { query += "&after=\(PeerClient.escape(path: after))" }
            let page = try await peer.call(.GET, "\(owner.path)/files\(query)")
            items += page["items"]?.arrayValue ?? []
            after = page["nextAfter"]?.stringValue
        } while after != nil
        return items
    }

    public func download(_ owner: FileOwner, path: String, to file: URL) async throws {
        try await peer.download("\(owner.path)/files/\(PeerClient.escape(path: path))", to: file)
    }

    public func deleteFile(of owner: FileOwner, path: String) async throws {
        try await peer.call(.DELETE, "\(owner.path)/files/\(PeerClient.escape(path: path))")
    }

    public func upload(_ file: URL, to owner: FileOwner, path: String) async throws {
        try await peer.upload(file, to: "\(owner.path)/files/\(PeerClient.escape(path: path))")
    }

    /// With a `source`, every entry carries an increasing `sequence`, and data skips those it
    /// already has from that source: a batch repeated after a crash is stored once.
    public func appendLogs(run runID: String, _ entries: [JSONValue], source: String? = nil) async throws {
        var body: JSONValue = ["entries": .array(entries)]
        if let source { body["source"] = .string(source) }
        try await peer.call(.POST, "/v1/runs/\(runID)/logs", body: body)
    }

    public func logs(run runID: String, after: String?, limit: Int) async throws -> JSONValue {
        try await peer.call(.GET, "/v1/runs/\(runID)/logs?limit=\(limit)" + (after.map { "&after=\($0)" } ?? ""))
    }

    public func appendMetrics(run runID: String, _ points: [JSONValue]) async throws {
        try await peer.call(.POST, "/v1/runs/\(runID)/metrics", body: ["points": .array(points)])
    }

    public func logParams(run runID: String, _ params: [String: JSONValue]) async throws {
        try await peer.call(.POST, "/v1/runs/\(runID)/params", body: ["params": .object(params)])
    }

    public func setTags(run runID: String, _ tags: [String: JSONValue]) async throws {
        try await peer.call(.PATCH, "/v1/runs/\(runID)/tags", body: ["tags": .object(tags)])
    }

    /// Whose files: the three kinds of owner data keeps files for.
    public enum FileOwner: Sendable {
        case run(String)
        case project(String)
        case datasetVersion(String)

        var path: String {
            switch self {
            case .run(let id): "/v1/runs/\(id)"
            case .project(let id): "/v1/projects/\(id)"
            case .datasetVersion(let id): "/v1/dataset-versions/\(id)"
            }
        }
    }
}
