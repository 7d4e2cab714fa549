import Foundation
import Platform
import PlatformTesting
import Testing

/// Users, data, compute with one agent, tag and mlhub as processes on one bus: models are
/// registered, tagged, deployed and searched as in production.
struct HubCluster: Sendable {
    let platform: LocalPlatform
    let tagURL: String
    let hubURL: String
    let hubState: URL
    let hubPID: pid_t

    static func shared() throws -> HubCluster { try started.get() }

    private static let started: Result<HubCluster, any Error> = Result {
        let platform = try LocalPlatform.start()
        stopAtExit(
            try platform.startAgent(
                queue: "default", state: try temporaryDirectory(), node: .init(cpus: 2, memoryMB: 2048, pidsLimit: 64)))
        let tag = try platform.startService(.tag, state: try temporaryDirectory())
        stopAtExit(tag.pid)
        let cluster = try start(on: platform, tagURL: tag.url)
        stopAtExit(cluster.hubPID)
        return cluster
    }

    /// An mlhub process of its own on the platform (state in `state`, new by default).
    static func start(on platform: LocalPlatform, tagURL: String, state: URL? = nil) throws -> HubCluster {
        let state = try state ?? temporaryDirectory()
        let hub = try platform.startService(.mlhub, state: state)
        return HubCluster(platform: platform, tagURL: tagURL, hubURL: hub.url, hubState: state, hubPID: hub.pid)
    }

    @discardableResult
    func hub(
        _ method: String, _ path: String, _ body: JSONValue? = nil, token: String?
    ) async throws -> (status: Int, body: JSONValue) {
        try await httpCall(hubURL + path, method, body, token: token)
    }

    @discardableResult
    func data(
        _ method: String, _ path: String, _ body: JSONValue? = nil, token: String?
    ) async throws -> (status: Int, body: JSONValue) {
        try await httpCall(platform.dataURL + path, method, body, token: token)
    }

    @discardableResult
    func compute(
        _ method: String, _ path: String, _ body: JSONValue? = nil, token: String?
    ) async throws -> (status: Int, body: JSONValue) {
        try await httpCall(platform.computeURL + path, method, body, token: token)
    }

    /// A new user owning a new project: (user id, token, project id).
    func newOwner() async throws -> (id: String, token: String, project: String) {
        try await platform.newOwner("hub")
    }

    /// Creates a model; its id.
    func newModel(_ project: String, _ fields: JSONValue, token: String) async throws -> String {
        let created = try await hub("POST", "/v1/projects/\(project)/models", fields, token: token)
        #expect(created.status == 201, "\(created.body)")
        return try #require(created.body["id"]?.stringValue, "\(created.body)")
    }

    /// Adds a version; its number.
    @discardableResult
    func newVersion(_ model: String, _ body: JSONValue = [:], token: String) async throws -> Int64 {
        let created = try await hub("POST", "/v1/models/\(model)/versions", body, token: token)
        #expect(created.status == 201, "\(created.body)")
        return try #require(created.body["number"]?.intValue, "\(created.body)")
    }

    /// Waits until `check` holds for the answer of GET `path` on mlhub (events take a moment).
    @discardableResult
    /// Polls `path` until it answers `status` (a hang guard of 30 s, not a timing assertion).
    func eventuallyStatus(_ path: String, _ status: Int, token: String) async throws {
        for _ in 0..<300 {
            if try await hub("GET", path, token: token).status == status { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(path) never answered \(status)")
    }

    func eventually(
        _ path: String, token: String, seconds: Int = 30, _ check: @Sendable (JSONValue) -> Bool
    ) async throws -> JSONValue {
        try await PlatformTesting.eventually(hubURL + path, token: token, seconds: seconds, check)
    }
}

func ids(_ page: JSONValue) -> [String] {
    (page["items"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
}

func names(_ page: JSONValue) -> [String] {
    (page["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
}
