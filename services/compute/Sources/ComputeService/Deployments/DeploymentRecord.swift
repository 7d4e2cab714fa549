import Foundation
import Platform
import Store

/// A deployment: replicas (jobs serving HTTP on their sockets) behind one endpoint,
/// `/deployments/{id}/` through the gateway, kept at their number by `DeploymentReconciler`.
struct DeploymentRecord: CollectionRecord, Equatable {
    static let collection = "deployments"

    enum State: String, Codable, Sendable {
        /// Its replicas run, or are being started or replaced.
        case active
        /// Scaled to zero after `idleSeconds` without a request; the next request starts it.
        case idle
        /// Stopped by a user (`DELETE`): its replicas end and it answers 503 for good.
        case stopped
    }

    var id: String
    var projectId: String
    var name: String
    var owner: String
    var spec: DeploymentSpec
    var state: State
    /// The jobs of the current replicas (the replaced and scaled-down ones are dropped).
    var replicaJobs: [String]
    /// Replicas replaced after they ended on their own (crashed, killed, their node lost).
    var restarts: Int
    /// Replacements in a row of replicas that did not run long: the next waits 2^n seconds
    /// (at most a minute), as Kubernetes backs off a crash loop.
    var crashLoop: Int
    /// When the last replacement was made, for that back-off.
    var lastRestartAt: String?
    /// Seconds the last start from zero took, from the request that woke it to the first
    /// replica's answer.
    var lastColdStartSeconds: Double?
    /// Why it is in its state (a replica that could not be submitted, say).
    var message: String?
    var createdAt: String
    var updatedAt: String

    init(id: String, spec: DeploymentSpec, owner: String) {
        let now = Timestamp.now
        self.id = id
        projectId = spec.projectId
        name = spec.name ?? "deployment-\(id.suffix(8))"
        self.owner = owner
        self.spec = spec
        state = .active
        replicaJobs = []
        restarts = 0
        crashLoop = 0
        createdAt = now
        updatedAt = now
    }

    /// Where users reach it: the gateway's path.
    static func endpointPath(_ id: String) -> String { "/deployments/\(id)/" }
}
