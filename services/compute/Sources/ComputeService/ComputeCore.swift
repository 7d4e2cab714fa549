import Auth
import DataClient
import Foundation
import Platform
import ServiceLifecycle
import Store

/// What compute's routes and services share: its store, data (runs, files, datasets), who may
/// do what on a project, and the one lock every job transition takes.
struct ComputeCore: Sendable {
    let store: any DocumentStore
    let data: DataClient
    let authorizer: Authorizer
    let settings: ComputeSettings
    /// Signalled on anything that may let an agent's long poll answer (`Scheduler.topic`) and
    /// on each job's transitions (`job:<id>`), for event streams.
    let wakeups = Wakeups()
    /// Claims, cancels, reports and node losses each read a job and then write it; taking turns
    /// keeps a node from being oversubscribed and a transition from being lost. (One compute
    /// instance per installation; the store's conditional updates guard the rest.)
    let transitions = AsyncLock()

    var jobs: JobDirectory { JobDirectory(core: self) }

    /// Waits for a signal on `topic` for at most `duration`, and not at all once the service is
    /// shutting down: long polls and event streams then answer at once instead of holding the
    /// server's graceful shutdown for their full wait.
    func wait(for topic: String, atMost duration: Duration) async {
        guard !Task.isShuttingDownGracefully else { return }
        await withGracefulShutdownHandler {
            await wakeups.wait(for: topic, atMost: duration)
        } onGracefulShutdown: { [wakeups] in
            wakeups.signal(topic)
        }
    }

    /// The job when the caller holds `needs` on its project; 404 otherwise (unknown ids too).
    func job(_ id: String, _ context: some AuthenticatedRequestContext, needs: ProjectRole) async throws -> JobRecord {
        guard ID.isValid(id), let job = try await jobs.get(id) else {
            throw APIError.notFound("no job \(id)")
        }
        let principal = try context.requirePrincipal()
        // A job's owner keeps seeing and cancelling it even after leaving the project.
        if principal.kind == .user, job.owner == principal.id { return job }
        do {
            try await authorizer.require(needs, on: job.projectId, for: principal)
        } catch let error as APIError where error.status == .notFound {
            throw APIError.notFound("no job \(id)")
        }
        return job
    }
}
