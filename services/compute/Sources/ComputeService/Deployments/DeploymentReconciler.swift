import Foundation
import Logging
import Platform
import ServiceLifecycle

/// Keeps every active deployment at its number of replicas, as a Kubernetes controller does:
/// a replica that ended on its own (its server crashed, it was killed, its node lost it for
/// good) is replaced by a new job, at once the first time and then after 1, 2, 4… seconds (at
/// most a minute) while replicas keep ending within a minute of starting; and a deployment
/// idle for its `idleSeconds` scales to zero. Every second, and at once on shutdown's start.
struct DeploymentReconciler: Service {
    static let interval = Duration.seconds(1)
    /// A replica that ran this long before it ended was not crash-looping.
    static let healthyRun: TimeInterval = 60

    let deployments: Deployments
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await reconcileAll()
            } catch {
                logger.warning("cannot reconcile deployments", metadata: ["error": "\(error)"])
            }
            await Retry.pause(Self.interval)
        }
    }

    func reconcileAll() async throws {
        let active = try await deployments.core.store.find(
            DeploymentRecord.self, .init(filter: ["state": .string(DeploymentRecord.State.active.rawValue)]))
        for deployment in active {
            do {
                try await reconcile(deployment.id)
            } catch {
                logger.warning(
                    "cannot reconcile deployment", metadata: ["deployment": "\(deployment.id)", "error": "\(error)"])
            }
        }
    }

    func reconcile(_ id: String) async throws {
        let now = deployments.now()
        if let deployment = try await deployments.get(id), deployment.state == .active,
            let idle = deployment.spec.idleSeconds,
            now.timeIntervalSince(deployments.lastUsed(deployment)) >= TimeInterval(idle)
        {
            _ = try await deployments.stopReplicas(
                id, becoming: .idle, by: "compute",
                message: "scaled to zero after \(idle) s without a request; the next request starts it")
            logger.info("deployment scaled to zero", metadata: ["deployment": "\(id)"])
            return
        }
        try await deployments.changes.withLock {
            guard var deployment = try await deployments.get(id), deployment.state == .active else { return }
            var ended: [Int: JobRecord] = [:]
            for (slot, jobID) in deployment.replicaJobs.enumerated() {
                if let job = try await deployments.core.jobs.get(jobID), job.state.isTerminal { ended[slot] = job }
            }
            let short = deployment.replicaJobs.count < deployment.spec.effectiveReplicas
            guard !ended.isEmpty || short else { return }
            if !ended.isEmpty, deployment.crashLoop > 0, let last = deployment.lastRestartAt.flatMap(Timestamp.parse),
                now.timeIntervalSince(last) < min(60, pow(2, Double(deployment.crashLoop - 1)))
            {
                return
            }
            let owner = deployments.owner(of: deployment)
            do {
                for (slot, job) in ended.sorted(by: { $0.key < $1.key }) {
                    deployment.replicaJobs[slot] = try await deployments.submitReplica(slot, of: deployment, as: owner)
                    deployments.forget([job.id])
                    deployment.restarts += 1
                    deployment.crashLoop = Self.ranBriefly(job) ? deployment.crashLoop + 1 : 0
                    deployment.lastRestartAt = Timestamp.format(now)
                    logger.info(
                        "replaced a replica that ended",
                        metadata: [
                            "deployment": "\(id)", "slot": "\(slot)", "job": "\(job.id)",
                            "state": "\(job.state.rawValue)", "reason": "\(job.reason ?? "")",
                        ])
                }
                try await deployments.startReplicas(&deployment, as: owner)
                deployment.message = nil
            } catch {
                deployment.message = "cannot start a replica: \(error)"
            }
            try await deployments.save(deployment)
        }
    }

    /// Whether a replica ended within `healthyRun` of starting (or never started).
    static func ranBriefly(_ job: JobRecord) -> Bool {
        guard let started = job.startedAt.flatMap(Timestamp.parse), let stopped = job.endedAt.flatMap(Timestamp.parse)
        else { return true }
        return stopped.timeIntervalSince(started) < healthyRun
    }
}
