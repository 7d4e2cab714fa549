import Foundation
import Platform
import PlatformTesting
import Testing

/// Users, data, compute with an agent, tag, mlhub and ingest as processes on one bus: MLExchange's
/// own story, ingest → hub → deploy, carried by events.
struct FlowCluster: Sendable {
    let platform: LocalPlatform
    let tagURL: String
    let hubURL: String
    let ingestURL: String
    /// How long events may take to arrive (Kafka groups take a while to form at first).
    let patience: Int

    static func shared() throws -> FlowCluster { try started.get() }

    private static let started: Result<FlowCluster, any Error> = Result { try start(users: nil, patience: 30) }

    /// The whole platform on the bus of `users` (the shared users service's embedded log by default).
    static func start(users: UsersServer?, patience: Int) throws -> FlowCluster {
        let platform = try LocalPlatform.start(users: users)
        stopAtExit(
            try platform.startAgent(
                queue: "default", state: try temporaryDirectory(), node: .init(cpus: 2, memoryMB: 2048, pidsLimit: 64)))
        var urls: [ServiceName: String] = [:]
        for service in [ServiceName.tag, .mlhub, .ingest] {
            let started = try platform.startService(service, state: try temporaryDirectory())
            stopAtExit(started.pid)
            urls[service] = started.url
        }
        return FlowCluster(
            platform: platform, tagURL: urls[.tag]!, hubURL: urls[.mlhub]!, ingestURL: urls[.ingest]!,
            patience: patience)
    }

    func newOwner() async throws -> (id: String, token: String, project: String) {
        try await platform.newOwner("ingest")
    }

    func ingest(_ package: Data, project: String, token: String) async throws -> (status: Int, body: JSONValue) {
        try await httpSend(
            ingestURL + "/v1/models?projectId=\(project)", "POST", bytes: package, contentType: "application/x-tar",
            token: token)
    }

    /// Waits until `check` holds for GET `url`, as long as this cluster's events may take.
    @discardableResult
    func eventually(
        _ url: String, token: String, seconds: Int? = nil, _ check: @Sendable (JSONValue) -> Bool
    ) async throws -> JSONValue {
        try await PlatformTesting.eventually(url, token: token, seconds: seconds ?? patience, check)
    }
}
