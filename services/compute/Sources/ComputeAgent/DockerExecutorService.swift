import ComputeDocker
import ServiceLifecycle

/// The Docker executor's own work — following each job's container, removing the containers
/// of removed jobs — as a service. Listed before the agent, it stops after it: the agent's last
/// calls (a cancel waits for its follower's status) still find it running, and removals the
/// agent asked for are finished before it ends.
struct DockerExecutorService: Service {
    let executor: DockerExecutor

    func run() async throws {
        await withGracefulShutdownHandler {
            await executor.run()
        } onGracefulShutdown: { [executor] in
            executor.shutdown()
        }
    }
}
