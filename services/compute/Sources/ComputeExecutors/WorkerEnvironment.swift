/// The variables torch.distributed (`init_method="env://"`), Horovod and friends read to find
/// their peers, set for every worker of a job by the executors that run workers (local, slurm);
/// a one-worker job gets them too (WORLD_SIZE=1), so the same script runs either way.
public enum WorkerEnvironment {
    /// Where rank 0 listens by default. Local workers share one private network namespace, so
    /// a fixed port cannot collide with another job's.
    public static let defaultMasterPort = 29500
    public static let maxWorkers = 64

    /// The variables of one worker. `masterAddress` is the host rank 0 runs on ("127.0.0.1"
    /// for workers sharing a namespace).
    public static func variables(
        rank: Int, localRank: Int, worldSize: Int, masterAddress: String, masterPort: Int = defaultMasterPort
    ) -> [String: String] {
        [
            "WORLD_SIZE": String(worldSize), "RANK": String(rank), "LOCAL_RANK": String(localRank),
            "MASTER_ADDR": masterAddress, "MASTER_PORT": String(masterPort),
        ]
    }
}
