import Auth
import Foundation
import Platform
import Synchronization

/// Deployments' records and their replicas: creating, waking from zero, scaling to zero,
/// replacing replicas that ended, stopping. One per compute (routes and the reconciler share
/// it): what it keeps in memory — when each deployment last had a request, which replicas have
/// answered, whose turn is next — is only about routing and idleness, and a restarted compute
/// starts it afresh (a deployment then counts as just used).
final class Deployments: Sendable {
    let core: ComputeCore
    /// Every change of a deployment's record takes it: a request waking it, the reconciler,
    /// a user stopping it.
    let changes = AsyncLock()
    private let lastRequest = Mutex<[String: Date]>([:])
    private let answered = Mutex<Set<String>>([])
    private let turns = Mutex<[String: Int]>([:])
    let now: @Sendable () -> Date

    init(core: ComputeCore, now: @escaping @Sendable () -> Date = { Date() }) {
        self.core = core
        self.now = now
    }

    func get(_ id: String) async throws -> DeploymentRecord? {
        try await core.store.get(DeploymentRecord.self, id)
    }

    /// The deployment when the caller holds `needs` on its project; 404 otherwise.
    func visible(
        _ id: String, _ context: some AuthenticatedRequestContext, needs: ProjectRole
    ) async throws -> DeploymentRecord {
        guard ID.isValid(id), let deployment = try await get(id) else { throw APIError.notFound("no deployment \(id)") }
        let principal = try context.requirePrincipal()
        if principal.kind == .user, deployment.owner == principal.id { return deployment }
        do {
            try await core.authorizer.require(needs, on: deployment.projectId, for: principal)
        } catch let error as APIError where error.status == .notFound {
            throw APIError.notFound("no deployment \(id)")
        }
        return deployment
    }

    /// Stores a deployment and submits its replicas as `principal`. A spec whose first replica
    /// is refused (a field, a quota, no node that could hold it) stores nothing.
    func create(_ spec: DeploymentSpec, by principal: Principal) async throws -> DeploymentRecord {
        _ = try spec.validate()
        try await core.authorizer.require(.editor, on: spec.projectId, for: principal)
        let stored = DeploymentRecord(id: ID.make(), spec: spec, owner: principal.id)
        try await core.store.insert(stored.document(), into: DeploymentRecord.collection)
        let deployment: DeploymentRecord
        do {
            deployment = try await changes.withLock {
                var deployment = stored
                try await startReplicas(&deployment, as: principal, firstDeploy: true)
                try await save(deployment)
                return deployment
            }
        } catch {
            try? await core.store.delete(DeploymentRecord.collection, filter: ["id": .string(stored.id)])
            throw error
        }
        touch(deployment.id)
        return deployment
    }

    /// Submits replicas until `deployment` has as many as it asks for. The caller holds `changes`.
    func startReplicas(
        _ deployment: inout DeploymentRecord, as principal: Principal, firstDeploy: Bool = false
    ) async throws {
        while deployment.replicaJobs.count < deployment.spec.effectiveReplicas {
            let slot = deployment.replicaJobs.count
            deployment.replicaJobs.append(
                try await submitReplica(slot, of: deployment, as: principal, firstDeploy: firstDeploy && slot == 0))
        }
    }

    /// Submits the job of replica `slot` (its `MLEX_REPLICA`; a replacement keeps the slot of
    /// the replica it replaces) and answers its id.
    func submitReplica(
        _ slot: Int, of deployment: DeploymentRecord, as principal: Principal, firstDeploy: Bool = false
    ) async throws -> String {
        try await JobSubmission(core: core).submit(
            deployment.spec.replica(slot, of: deployment.id, first: firstDeploy), by: principal,
            platformEnvironment: DeploymentSpec.replicaEnvironment(slot, of: deployment.id)
        ).id
    }

    func save(_ deployment: DeploymentRecord) async throws {
        var deployment = deployment
        deployment.updatedAt = Timestamp.now
        try await core.store.batch([try deployment.overwrite()])
    }

    /// A request for `id` arrived: it is not idle for another `idleSeconds`.
    func touch(_ id: String) {
        let time = now()
        lastRequest.withLock { $0[id] = time }
    }

    /// When `id` last had a request; a deployment this compute has not seen one for counts as
    /// used when it was last changed.
    func lastUsed(_ deployment: DeploymentRecord) -> Date {
        lastRequest.withLock { $0[deployment.id] }
            ?? Timestamp.parse(deployment.updatedAt) ?? now()
    }

    /// Starts an idle deployment's replicas again (the request that woke it waits for one).
    /// Returns the deployment as it now is and whether this call woke it.
    func wake(_ id: String) async throws -> (DeploymentRecord, woke: Bool) {
        try await changes.withLock {
            guard var deployment = try await get(id) else { throw APIError.notFound("no deployment \(id)") }
            guard deployment.state == .idle else { return (deployment, false) }
            deployment.state = .active
            deployment.message = nil
            try await startReplicas(&deployment, as: owner(of: deployment))
            try await save(deployment)
            return (deployment, true)
        }
    }

    /// Ends every replica; `state` is `.idle` (scaled to zero) or `.stopped` (by a user).
    func stopReplicas(
        _ id: String, becoming state: DeploymentRecord.State, by: String, message: String? = nil
    )
        async throws -> DeploymentRecord
    {
        try await changes.withLock {
            guard var deployment = try await get(id) else { throw APIError.notFound("no deployment \(id)") }
            for job in deployment.replicaJobs { _ = try? await JobCancellation(core: core).cancel(job, by: by) }
            forget(deployment.replicaJobs)
            deployment.replicaJobs = []
            deployment.state = state
            deployment.message = message
            try await save(deployment)
            return deployment
        }
    }

    /// How long the last start from zero took, from the waking request to the first answer.
    func recordColdStart(_ id: String, took duration: Duration) async throws {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        try await changes.withLock {
            guard var deployment = try await get(id) else { return }
            deployment.lastColdStartSeconds = (seconds * 1000).rounded() / 1000
            try await save(deployment)
        }
    }

    /// Who replicas are submitted as when no request asks for them (a restart, a wake-up):
    /// the deployment's owner, who must still be an editor of its project.
    func owner(of deployment: DeploymentRecord) -> Principal {
        Principal(id: deployment.owner, kind: .user, credential: .apiToken)
    }

    // MARK: replicas that answer

    /// The next running replica to send a request to, in turn. One that has not answered yet
    /// may still be starting its server: the caller sends the request again if it answers 502.
    func pick(among running: [EndpointTarget], of id: String) -> EndpointTarget? {
        guard !running.isEmpty else { return nil }
        let turn = turns.withLock { turns in
            defer { turns[id, default: 0] &+= 1 }
            return turns[id, default: 0]
        }
        return running[turn % running.count]
    }

    func hasAnswered(_ jobID: String) -> Bool { answered.withLock { $0.contains(jobID) } }
    func markAnswered(_ jobID: String) { _ = answered.withLock { $0.insert(jobID) } }
    func forget(_ jobIDs: [String]) { answered.withLock { $0.subtract(jobIDs) } }

    /// The deployment as clients see it: its record, where it answers, and its replicas' jobs
    /// with their states.
    func view(_ deployment: DeploymentRecord) async throws -> JSONValue {
        var view = try deployment.document()
        view["endpointPath"] = .string(DeploymentRecord.endpointPath(deployment.id))
        var replicas: [JSONValue] = []
        for id in deployment.replicaJobs {
            let state = try await core.jobs.get(id)?.state.rawValue ?? "unknown"
            replicas.append(["jobId": .string(id), "state": .string(state), "answered": .bool(hasAnswered(id))])
        }
        view["replicas"] = .array(replicas)
        return view
    }
}
