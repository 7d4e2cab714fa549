import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What `GET /containers/{id}/json` says about a container's process.
public struct ContainerState: Decodable, Sendable {
    public let Running: Bool
    public let OOMKilled: Bool
    public let ExitCode: Int32
    public let Error: String?
    public let StartedAt: String
    public let FinishedAt: String
}

/// Containers: create, start, inspect, wait, stop, kill, remove, list by label.
extension DockerEngine {
    /// Creates a container named `name`; answers its id.
    public func createContainer(name: String, _ config: ContainerConfig) async throws -> String {
        struct Created: Decodable { let Id: String }
        let body = try expect(await call(.POST, "/containers/create", query: ["name": name], json: config))
        return try JSONDecoder().decode(Created.self, from: body).Id
    }

    public func start(_ container: String) async throws {
        // 304: already started (a retried start after a lost answer).
        try expect(await call(.POST, "/containers/\(container)/start"), 204...304)
    }

    /// The container's state, or nil if no such container exists.
    public func state(of container: String) async throws -> ContainerState? {
        struct Inspected: Decodable { let State: ContainerState }
        let answer = try await call(.GET, "/containers/\(container)/json")
        if answer.status == 404 { return nil }
        return try JSONDecoder().decode(Inspected.self, from: expect(answer)).State
    }

    /// Returns once the container is not running: at once if it already stopped or does not
    /// exist. The exit code is read from `state(of:)`, which also says OOMKilled.
    public func waitUntilStopped(_ container: String) async throws {
        var request = request(.POST, "/containers/\(container)/wait", query: ["condition": "not-running"])
        request.headers.add(name: "Content-Length", value: "0")
        let answer = try await send(request, timeout: .hours(24 * 365))
        if answer.status == 404 { return }
        try expect(answer)
    }

    /// SIGTERM, then SIGKILL after `graceSeconds`; answers once the container stopped.
    public func stop(_ container: String, graceSeconds: Int) async throws {
        let answer = try await call(
            .POST, "/containers/\(container)/stop", query: ["t": "\(graceSeconds)"],
            timeout: .seconds(Int64(graceSeconds) + 30))
        // 304: already stopped; 404: already gone. Either way it no longer runs.
        if answer.status == 304 || answer.status == 404 { return }
        try expect(answer)
    }

    public func kill(_ container: String, signal: String = "KILL") async throws {
        let answer = try await call(.POST, "/containers/\(container)/kill", query: ["signal": signal])
        // 409: not running any more; 404: gone.
        if answer.status == 409 || answer.status == 404 { return }
        try expect(answer)
    }

    /// Removes the container and its anonymous volumes, killing it first if it still runs.
    public func remove(_ container: String) async throws {
        let answer = try await call(.DELETE, "/containers/\(container)", query: ["force": "true", "v": "true"])
        if answer.status == 404 { return }
        try expect(answer)
    }

    /// Names (without the leading slash) of containers carrying `label` (`key` or `key=value`).
    public func containers(labelled label: String) async throws -> [String] {
        struct Listed: Decodable { let Names: [String] }
        let filters = String(decoding: try JSONEncoder().encode(["label": [label]]), as: UTF8.self)
        let body = try expect(await call(.GET, "/containers/json", query: ["all": "true", "filters": filters]))
        return try JSONDecoder().decode([Listed].self, from: body).flatMap {
            $0.Names.map { String($0.drop(while: { $0 == "/" })) }
        }
    }
}
