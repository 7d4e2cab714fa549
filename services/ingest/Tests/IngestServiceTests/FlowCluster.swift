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
        stopAtExit(try platform.startAgent(queue: "default", state: try temporaryDirectory(), node: .init(cpus: 2, memoryMB: 2048, pidsLimit: 64)))
        var urls: [ServiceName: String] = [:]
        for service in [ServiceName.tag, .mlhub, .ingest] {
            let started = try platform.startService(service, state: try temporaryDirectory())
            stopAtExit(started.pid)
            urls[service] = started.url
        }
        return FlowCluster(platform: platform, tagURL: urls[.tag]!, hubURL: urls[.mlhub]!, ingestURL: urls[.ingest]!, patience: patience)
    }

    func newOwner() async throws -> (id: String, token: String, project: String) {
        let user = try await platform.users.signUp("ingest-\(ID.make().suffix(12))@lab.example")
        let project = try await httpCall(platform.dataURL + "/v1/projects", "POST", ["name": .string("p-\(ID.make().suffix(8))")], token: user.token)
        return (user.id, user.token, try #require(project.body["id"]?.stringValue, "\(project.body)"))
    }

    func ingest(_ package: Data, project: String, token: String) async throws -> (status: Int, body: JSONValue) {
        try await httpSend(ingestURL + "/v1/models?projectId=\(project)", "POST", bytes: package, contentType: "application/x-tar", token: token)
    }

    /// Waits until `check` holds for GET `url` (events take a moment).
    @discardableResult
    func eventually(_ url: String, token: String, seconds: Int? = nil, _ check: @Sendable (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(TimeInterval(seconds ?? patience))
        var last: JSONValue = .null
        while Date() < deadline {
            last = try await httpCall(url, "GET", token: token).body
            if check(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("GET \(url) never satisfied the check: \(last.jsonText)")
        throw POSIXError(.ETIMEDOUT)
    }
}
