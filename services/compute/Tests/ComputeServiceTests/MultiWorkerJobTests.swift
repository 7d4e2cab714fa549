import Foundation
import Platform
import PlatformTesting
import Testing

/// Jobs of two workers on the local agent, through the real services: the workers find each
/// other from the variables the platform sets and really exchange data; the run hears rank 0.
@Suite("compute: jobs of two workers on real sandboxes", .serialized)
struct MultiWorkerJobTests {
    /// Each rank contributes rank + 1 to an all-reduce over torch.distributed's gloo backend
    /// (Debian's python3-torch) and succeeds only if it got the sum of both.
    static let allReduce = """
        import os, torch, torch.distributed as dist
        dist.init_process_group("gloo", init_method="env://")
        rank, world = dist.get_rank(), dist.get_world_size()
        value = torch.tensor([float(rank + 1)])
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        print(f"rank {rank} of {world} local {os.environ['LOCAL_RANK']} master {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']} sum {value.item()}", flush=True)
        # Only rank 0 speaks for the run; rank 1's line stays a log line.
        print(f"::mlex metric allreduced {value.item() if rank == 0 else 99} 1", flush=True)
        dist.destroy_process_group()
        raise SystemExit(0 if value.item() == world * (world + 1) / 2 else 1)
        """

    static func entries(_ cluster: ComputeCluster, _ jobID: String, token: String) async throws -> [JSONValue] {
        try await cluster.compute("GET", "/v1/jobs/\(jobID)/logs?limit=5000", token: token).body["items"]?
            .arrayValue ?? []
    }

    /// A metric's points in the job's run, once the first has arrived.
    static func history(
        _ cluster: ComputeCluster, run runID: String, key: String, token: String
    ) async throws
        -> [JSONValue]
    {
        try await withRetries(100) {
            let points =
                try await cluster.data("GET", "/v1/runs/\(runID)/metrics/history?key=\(key)", token: token).body[
                    "items"]?.arrayValue ?? []
            guard !points.isEmpty else { throw POSIXError(.EAGAIN) }
            return points
        }
    }

    @Test("two workers all-reduce over gloo in their shared namespace; lines keep their rank, metrics come from rank 0")
    func allReduce() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let jobID = try await cluster.submit(
            pythonJob(
                owner.project, Self.allReduce,
                ["workers": 2, "resources": ["cpus": 0.5, "memoryMB": 768], "timeoutSeconds": 240]),
            token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token, seconds: 300)
        let entries = try await Self.entries(cluster, jobID, token: owner.token)
        #expect(job["state"] == "succeeded", "\(job.jsonText)\n\(entries.map(\.jsonText).joined(separator: "\n"))")
        #expect(job["workers"] == 2)
        for rank in 0..<2 {
            #expect(
                entries.contains {
                    $0["rank"]?.intValue == Int64(rank)
                        && $0["message"]?.stringValue
                            == "rank \(rank) of 2 local \(rank) master 127.0.0.1:29500 sum 3.0"
                }, "rank \(rank): \(entries.map(\.jsonText))")
        }
        #expect(
            entries.contains { $0["rank"] == 1 && $0["message"] == "::mlex metric allreduced 99 1" },
            "rank 1's ::mlex line is a log line")
        #expect(!entries.contains { $0["rank"] == 0 && $0["message"]?.stringValue?.hasPrefix("::mlex") == true })

        let runID = try #require(job["runId"]?.stringValue)
        let history = try await Self.history(cluster, run: runID, key: "allreduced", token: owner.token)
        #expect(history.map { $0["value"]?.numberValue } == [3], "one point, rank 0's")
        let rankOne = try await cluster.data("GET", "/v1/runs/\(runID)/logs?rank=1", token: owner.token).body
        #expect((rankOne["items"]?.arrayValue ?? []).allSatisfy { $0["rank"] == 1 })
    }

    @Test("a worker that fails ends the others and the job, which names its rank")
    func failingRank() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let script = """
            import os, time
            if os.environ["RANK"] == "1":
                raise SystemExit(3)
            time.sleep(300)
            """
        let started = Date()
        let jobID = try await cluster.submit(
            pythonJob(owner.project, script, ["workers": 2, "resources": ["cpus": 0.25, "memoryMB": 128]]),
            token: owner.token)
        let job = try await cluster.finished(jobID, token: owner.token, seconds: 120)
        #expect(job["state"] == "failed", "\(job.jsonText)")
        #expect(job["exitCode"] == 3)
        #expect(job["message"]?.stringValue?.hasPrefix("rank 1: ") == true, "\(job.jsonText)")
        #expect(Date().timeIntervalSince(started) < 100, "rank 0 was not left sleeping")
    }
}
