import Bus
import Foundation
import Platform
import PlatformTesting
import Testing

/// Users, data and compute as processes (`LocalPlatform`) with a tag process on the same bus:
/// entities are created through their own services, and the tag service learns them from
/// their events, as in production.
struct TagCluster: Sendable {
    let platform: LocalPlatform
    let state: URL
    let tagURL: String
    let pid: pid_t

    static func shared() throws -> TagCluster { try started.get() }

    private static let started: Result<TagCluster, any Error> = Result {
        let cluster = try TagCluster.start(on: try LocalPlatform.start())
        stopAtExit(cluster.pid)
        return cluster
    }

    /// A tag process of its own on `platform` (state in `state`, a new directory by default).
    static func start(on platform: LocalPlatform, state: URL? = nil) throws -> TagCluster {
        let state = try state ?? temporaryDirectory()
        let (url, pid) = try platform.startService(.tag, state: state)
        return TagCluster(platform: platform, state: state, tagURL: url, pid: pid)
    }

    @discardableResult
    func tag(
        _ method: String, _ path: String, _ body: JSONValue? = nil, token: String?
    ) async throws -> (status: Int, body: JSONValue) {
        try await httpCall(tagURL + path, method, body, token: token)
    }

    @discardableResult
    func data(
        _ method: String, _ path: String, _ body: JSONValue? = nil, token: String?
    ) async throws -> (status: Int, body: JSONValue) {
        try await httpCall(platform.dataURL + path, method, body, token: token)
    }

    /// A new user owning a new project with an experiment: (user id, token, project, experiment).
    func newOwner() async throws -> (id: String, token: String, project: String, experiment: String) {
        let owner = try await platform.newOwner("tag")
        let experiment = try await data(
            "POST", "/v1/projects/\(owner.project)/experiments", ["name": "baseline"], token: owner.token)
        return (owner.id, owner.token, owner.project, try #require(experiment.body["id"]?.stringValue))
    }

    func newRun(_ experiment: String, token: String) async throws -> String {
        let run = try await data("POST", "/v1/experiments/\(experiment)/runs", ["name": "r"], token: token)
        return try #require(run.body["id"]?.stringValue, "\(run.body)")
    }

    /// Adds tags; fails the test unless accepted. The entity's tags as strings.
    @discardableResult
    func add(_ tags: [String], to kind: String, _ id: String, token: String) async throws -> [String] {
        let answer = try await tag(
            "POST", "/v1/entities/\(kind)/\(id)/tags", ["tags": .array(tags.map(JSONValue.string))], token: token)
        #expect(answer.status == 200, "\(answer.body)")
        return Self.texts(answer.body)
    }

    func tags(of kind: String, _ id: String, token: String) async throws -> [String] {
        Self.texts(try await tag("GET", "/v1/entities/\(kind)/\(id)/tags", token: token).body)
    }

    static func texts(_ page: JSONValue) -> [String] {
        (page["items"]?.arrayValue ?? []).compactMap { $0["tag"]?.stringValue }.sorted()
    }

    /// The project's counts as `tag: count`.
    func counts(_ project: String, kind: String? = nil, token: String) async throws -> [String: Int64] {
        let page = try await tag(
            "GET", "/v1/projects/\(project)/tags" + (kind.map { "?kind=\($0)" } ?? ""), token: token
        ).body
        return Dictionary(
            uniqueKeysWithValues: (page["items"]?.arrayValue ?? []).map {
                ($0["tag"]?.stringValue ?? "", $0["count"]?.intValue ?? 0)
            })
    }

    /// Every event on `topic` so far, read by a group of its own.
    func events(on topic: String) async throws -> [CloudEvent] {
        let bus = try SQLiteLogBus(path: platform.users.stateDirectory.appendingPathComponent("bus.sqlite").path)
        let subscription = try await bus.subscribe(group: "test-\(ID.make())", topic: topic)
        var events: [CloudEvent] = []
        while true {
            let batch = try await subscription.next(max: 1000, wait: .milliseconds(200))
            if batch.isEmpty { return events }
            events += batch.map(\.event)
        }
    }
}
