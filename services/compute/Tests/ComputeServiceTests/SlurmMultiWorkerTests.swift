import ComputeExecutors
import ComputeSlurm
import Foundation
import Glibc
import PlatformTesting
import Testing

/// Jobs of several workers on the Slurm executor against the real test cluster
/// (`SlurmTestCluster`): one allocation of N tasks, `srun --label` over them, each worker with
/// its rank's variables, the host's network between them, and a failing worker ending the rest.
/// Serialized: the cluster's node has as many CPUs as the machine (two here), all of which a
/// two-worker job takes.
@Suite("Slurm executor: jobs of several workers", .serialized, .timeLimit(.minutes(5)))
struct SlurmMultiWorkerTests {
    let cluster: SlurmTestCluster
    let executor: SlurmExecutor

    init() throws {
        cluster = try SlurmTestCluster.shared.get()
        executor = try cluster.executor()
    }

    /// Prepares and launches `script` (a file in /job run by `interpreter`) as a job of
    /// `workers` workers; returns when Slurm has started it.
    func launch(
        _ jobId: String, workers: Int, _ script: String, interpreter: String = "/bin/sh", memoryMB: Int = 256,
        timeoutSeconds: Int? = nil, environment: [String: String] = [:]
    ) async throws {
        let directories = try await executor.prepare(jobId: jobId, diskMB: 64)
        try script.write(to: directories.work.appendingPathComponent("job"), atomically: true, encoding: .utf8)
        try await executor.launch(
            SandboxJob(
                jobId: jobId, command: [interpreter, "job"], environment: environment,
                limits: ResourceLimits(cpus: 1, memoryMB: memoryMB, pids: 64, diskMB: 64),
                timeoutSeconds: timeoutSeconds, workers: workers))
    }

    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func log(_ jobId: String) -> String {
        String(decoding: (try? executor.readLog(of: jobId, from: 0, limit: 1 << 20).bytes) ?? [], as: UTF8.self)
    }

    func slurmId(_ jobId: String) throws -> Int {
        let text = try String(
            contentsOf: executor.root.appendingPathComponent(jobId).appendingPathComponent("slurm-job-id"),
            encoding: .utf8)
        return try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    static let printEnvironment = """
        echo "rank=$RANK local=$LOCAL_RANK world=$WORLD_SIZE addr=$MASTER_ADDR port=$MASTER_PORT uid=$(id -u)"
        echo "stderr of $RANK" >&2
        echo "host $(uname -n)"
        """

    @Test("two workers get their rank's variables (not the job's), and every log line is labelled")
    func environment() async throws {
        let id = "slurm-mw-env-\(UInt32.random(in: 0...UInt32.max))"
        // A job's own values of the workers' variables are overridden.
        try await launch(id, workers: 2, Self.printEnvironment, environment: ["RANK": "7", "MASTER_PORT": "1"])
        let result = await executor.wait(for: id)
        let text = log(id)
        #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(text)")
        let port = 29500 + (try slurmId(id)) % 1000
        let lines = text.split(separator: "\n").map(String.init)
        for rank in 0..<2 {
            // The test cluster's node has NodeAddr=127.0.0.1.
            #expect(
                lines.contains("\(rank): rank=\(rank) local=\(rank) world=2 addr=127.0.0.1 port=\(port) uid=65534"),
                "\(text)")
            #expect(lines.contains("\(rank): stderr of \(rank)"), "\(text)")
        }
        // The node's own name, which gloo and NCCL resolve to find their address, not "mlex-job".
        #expect(lines.contains("0: host \(Self.hostName())") && lines.contains("1: host \(Self.hostName())"), "\(text)")
        #expect(lines.count == 6 && lines.allSatisfy { $0.hasPrefix("0: ") || $0.hasPrefix("1: ") }, "\(text)")
        try executor.remove(id)
    }

    @Test("a one-worker job keeps its raw log and gets rank 0 of 1, its own master")
    func oneWorker() async throws {
        let id = "slurm-mw-one-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(id, workers: 1, Self.printEnvironment, environment: ["WORLD_SIZE": "9"])
        let result = await executor.wait(for: id)
        let text = log(id)
        #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(text)")
        #expect(text.contains("rank=0 local=0 world=1 addr=127.0.0.1 port=29500 uid=65534\n"), "\(text)")
        #expect(text.contains("stderr of 0\n") && text.contains("host mlex-job\n") && !text.contains("0: "), "\(text)")
        try executor.remove(id)
    }

    /// Each rank contributes rank+1; exits 0 only if the all-reduced sum is 3. torch.distributed
    /// with gloo when Debian's python3-torch has it, else the same over plain sockets: rank 0
    /// listens at MASTER_ADDR:MASTER_PORT, sums and sends the total back.
    /// Debian's, which python3-torch installs into (not a python of PATH's, e.g. pyenv's).
    static let python = "/usr/bin/python3"

    static let allReduce = """
        import os, socket, sys, time
        from datetime import timedelta
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        address, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
        try:
            import torch, torch.distributed as dist
            gloo = dist.is_available() and dist.is_gloo_available()
        except ImportError:
            gloo = False
        if gloo:
            dist.init_process_group("gloo", rank=rank, world_size=world, timeout=timedelta(seconds=60))
            value = torch.tensor([float(rank + 1)])
            dist.all_reduce(value)
            total = int(value.item())
            dist.destroy_process_group()
        elif rank == 0:
            server = socket.create_server((address, port))
            peers = [server.accept()[0] for _ in range(world - 1)]
            total = 1 + sum(int(peer.recv(64)) for peer in peers)
            for peer in peers:
                peer.sendall(str(total).encode())
        else:
            for _ in range(300):
                try:
                    peer = socket.create_connection((address, port))
                    break
                except OSError:
                    time.sleep(0.1)
            peer.sendall(str(rank + 1).encode())
            total = int(peer.recv(64))
        print(f"rank {rank} via {'gloo' if gloo else 'sockets'}: sum {total}", flush=True)
        sys.exit(0 if total == 3 else 1)
        """

    @Test("two workers all-reduce over the network: the job succeeds only if both got the sum")
    func allReduce() async throws {
        let id = "slurm-mw-reduce-\(UInt32.random(in: 0...UInt32.max))"
        // The sandbox shows the host's /usr: the job finds gloo exactly when the host has it.
        let gloo =
            (try? SlurmCommands().run(
                Self.python, ["-c", "import torch.distributed as d; print(d.is_gloo_available())"]))
        let via = gloo?.hasPrefix("True") == true ? "gloo" : "sockets"
        try await launch(id, workers: 2, Self.allReduce, interpreter: Self.python, memoryMB: 1024)
        let result = await executor.wait(for: id)
        let text = log(id)
        #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(text)")
        for rank in 0..<2 {
            #expect(text.contains("\(rank): rank \(rank) via \(via): sum 3\n"), "\(text)")
        }
        try executor.remove(id)
    }

    @Test("a failing worker ends the others at once; the job's result names it")
    func failingRank() async throws {
        let id = "slurm-mw-fail-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(id, workers: 2, #"if [ "$RANK" = 1 ]; then echo failing; exit 3; fi; echo waiting; sleep 120"#)
        let started = ContinuousClock.now
        let result = await executor.wait(for: id)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(result.reason == .exited && result.exitCode == 3, "\(result) \(log(id))")
        #expect(result.message?.hasPrefix("rank 1: ") == true, "\(result)")
        try executor.remove(id)
    }

    @Test("a worker over its own memory is OOM-killed, though its node-mate left room; the result names it")
    func workerOverMemory() async throws {
        let id = "slurm-mw-oom-\(UInt32.random(in: 0...UInt32.max))"
        // Rank 1 takes 200 MB of its 128: within the node's 256 for both, over its own share.
        try await launch(
            id, workers: 2,
            """
            if [ "$RANK" = 1 ]; then python3 -c "x = b'x' * (200 * 1024 * 1024); print(len(x))"; exit $?; fi
            sleep 120
            """, memoryMB: 128)
        let result = await executor.wait(for: id)
        #expect(result.reason == .oomKilled, "\(result) \(log(id))")
        #expect(result.message?.hasPrefix("rank 1: ") == true, "\(result)")
        try executor.remove(id)
    }

    @Test("cancel and timeout end every worker")
    func cancelAndTimeout() async throws {
        let cancelled = "slurm-mw-cancel-\(UInt32.random(in: 0...UInt32.max))"
        try await launch(cancelled, workers: 2, "echo waiting; sleep 120")
        try await executor.cancel(cancelled)
        let result = await executor.wait(for: cancelled)
        #expect(result.reason == .cancelled, "\(result)")
        try executor.remove(cancelled)

        let late = "slurm-mw-time-\(UInt32.random(in: 0...UInt32.max))"
        let began = ContinuousClock.now
        try await launch(late, workers: 2, "echo started; sleep 120", timeoutSeconds: 3)
        let timedOut = await executor.wait(for: late)
        #expect(timedOut.reason == .timedOut, "\(timedOut) \(log(late))")
        #expect(ContinuousClock.now - began < .seconds(30))
        // Slurm ended the job only once no task of it ran any more.
        let left = try cluster.run(
            "squeue", ["-h", "-t", "PENDING,RUNNING,COMPLETING", "-j", String(try slurmId(late))])
        #expect(left.output.isEmpty, "\(left)")
        try executor.remove(late)
    }
}

/// The pieces of a job of several workers that need no cluster: which worker failed, and the
/// worker script's sandbox line.
@Suite("Slurm executor: naming the failing worker, the worker script")
struct SlurmWorkerPartsTests {
    @Test("the earliest failing worker's exit names it: exit code, OOM kill, signal")
    func failureFromExits() {
        let now = Date()
        let exits = [
            SlurmWorkerFailure.RankExit(rank: 0, status: 143, oomKills: 0, written: now.addingTimeInterval(0.2)),
            SlurmWorkerFailure.RankExit(rank: 1, status: 0, oomKills: 0, written: now),
            SlurmWorkerFailure.RankExit(rank: 2, status: 3, oomKills: 0, written: now.addingTimeInterval(0.1)),
        ]
        let failure = SlurmWorkerFailure.find(exits: exits, srunNotes: "srun: error: n1: task 0: Terminated\n")
        #expect(failure?.rank == 2 && failure?.reason == .exited && failure?.exitCode == 3)
        #expect(failure?.message == "rank 2: exited with code 3")
        let oom = SlurmWorkerFailure.RankExit.parse(rank: 1, text: "137 1\n", written: now)
        #expect(SlurmWorkerFailure.find(exits: oom.map { [$0] } ?? [], srunNotes: "")?.reason == .oomKilled)
        let killed = SlurmWorkerFailure.find(
            exits: [.init(rank: 4, status: 137, oomKills: 0, written: now)], srunNotes: "")
        #expect(killed?.reason == .signaled && killed?.signal == 9 && killed?.message == "rank 4: killed by signal 9")
        #expect(
            SlurmWorkerFailure.find(exits: [.init(rank: 0, status: 0, oomKills: 0, written: now)], srunNotes: "") == nil
        )
    }

    @Test("without exit files, srun's first task note names the worker")
    func failureFromSrun() {
        let notes = """
            srun: launch/slurm: _step_signal: Terminating StepId=7.0
            srun: error: node-2: tasks 3-4: Exited with exit code 2
            srun: error: node-1: task 0: Terminated
            """
        let failure = SlurmWorkerFailure.find(exits: [], srunNotes: notes)
        #expect(
            failure?.rank == 3 && failure?.reason == .exited && failure?.exitCode == 2, "\(String(describing: failure))"
        )
        let oom = SlurmWorkerFailure.find(exits: [], srunNotes: "srun: error: n: task 1: Out Of Memory\n")
        #expect(oom?.rank == 1 && oom?.reason == .oomKilled)
        #expect(SlurmWorkerFailure.find(exits: [], srunNotes: "srun: Job step aborted\n") == nil)
    }

    @Test("the worker script expands only bubblewrap's worker variables, per task")
    func workerScript() {
        let script = SlurmWorkerScript(
            directory: URL(fileURLWithPath: "/jobs/j"),
            sandbox: [
                "/usr/bin/bwrap", "--setenv", "HOME", "/job", "--setenv", "RANK", "0", "--setenv", "MASTER_ADDR",
                "127.0.0.1", "--", "/usr/bin/setpriv", "--", "/bin/echo", "--setenv", "RANK", "it's",
            ], memoryMB: 100)
        #expect(
            script.text.contains(
                "'/usr/bin/bwrap' '--setenv' 'HOME' '/job' '--setenv' 'RANK' \"$SLURM_PROCID\" '--setenv' 'MASTER_ADDR'"
                    + " \"$MLEX_MASTER_ADDR\" '--' '/usr/bin/setpriv' '--' '/bin/echo' '--setenv' 'RANK' 'it'\\''s'\n"),
            "\(script.text)")
        #expect(script.text.contains("echo 104857600 > \"$limit\""))
        #expect(script.text.contains("> \"$dir/ranks/$rank.exit\""))
    }

    @Test("the batch script of several workers: N tasks, memory per CPU, srun --label over worker.sh")
    func batchScript() {
        let script = SlurmBatchScript(
            jobId: "j", directory: URL(fileURLWithPath: "/jobs/j"), sandbox: [],
            limits: ResourceLimits(cpus: 3, memoryMB: 1000, pids: 64), timeoutSeconds: 60, partition: "", workers: 4,
            binDirectory: "/opt/slurm/bin")
        let text = script.text
        for line in [
            "#SBATCH --output=/jobs/j/batch.log", "#SBATCH --ntasks=4", "#SBATCH --cpus-per-task=3",
            "#SBATCH --mem-per-cpu=334M", "export MLEX_MASTER_PORT=$((29500 + SLURM_JOB_ID % 1000))",
            "timeout --signal=KILL 60 '/opt/slurm/bin/srun' '--label' '--kill-on-bad-exit=1' '--ntasks=4'"
                + " '--cpus-per-task=3' '--open-mode=append' '--output=/jobs/j/log' '--error=/jobs/j/log'"
                + " '/bin/bash' '/jobs/j/worker.sh'",
        ] {
            #expect(text.contains(line + "\n"), "\(line) in \(text)")
        }
        #expect(!text.contains("--nodes") && !text.contains("#SBATCH --mem="))
    }
}
