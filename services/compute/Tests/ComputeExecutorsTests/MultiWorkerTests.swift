import Foundation
import Glibc
import Testing

@testable import ComputeExecutors

/// Jobs with several workers on the local executor: N sandboxes under one supervisor, sharing
/// one loopback-only network namespace, each in a cgroup of its own, with a labelled log.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MultiWorkerTests {
    static let printVariables =
        "echo \"RANK=$RANK LOCAL_RANK=$LOCAL_RANK WORLD_SIZE=$WORLD_SIZE MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT\""

    @Test func eachWorkerGetsItsVariablesAndTheLogIsLabelledByRank() async throws {
        try await withExecutor { harness in
            let (jobId, _) = try await start(
                harness, ["/bin/sh", "-c", Self.printVariables + "; echo to stderr >&2; printf unfinished"],
                environment: ["RANK": "7", "WORLD_SIZE": "9", "SEED": "1"], workers: 2)
            let result = try await finish(harness.executor, jobId)
            let log = try fullLog(harness.executor, jobId)
            #expect(result.reason == .exited && result.exitCode == 0 && result.message == nil, "\(result) \(log)")
            for rank in 0..<2 {
                let variables =
                    "RANK=\(rank) LOCAL_RANK=\(rank) WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500"
                #expect(log.contains("\(rank): \(variables)\n"), "\(log)")
                #expect(log.contains("\(rank): to stderr\n"))
                #expect(log.contains("\(rank): unfinished\n"), "a last line without newline is ended")
                let raw = try String(contentsOf: layout(harness, jobId).workerLog(rank), encoding: .utf8)
                #expect(raw.contains("\(variables)\n") && raw.hasSuffix("unfinished"), "raw: \(raw)")
            }
            #expect(log.split(separator: "\n").count == 6)
            #expect(log.split(separator: "\n").allSatisfy { $0.hasPrefix("0: ") || $0.hasPrefix("1: ") }, "\(log)")
        }
    }

    @Test func aOneWorkerJobGetsTheVariablesAndAnUnlabelledLog() async throws {
        try await withExecutor { harness in
            let (result, log, _) = try await run(
                harness, ["/bin/sh", "-c", Self.printVariables], environment: ["RANK": "7"])
            #expect(result.reason == .exited && result.exitCode == 0)
            #expect(log == "RANK=0 LOCAL_RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500\n")
        }
    }

    /// The exchange a distributed training job makes: each rank contributes rank + 1 and must
    /// get the sum 3 back — torch.distributed's gloo backend where the host has it, otherwise a
    /// socket all-reduce in plain Python.
    @Test func twoWorkersAllReduce() async throws {
        let limits = ResourceLimits(cpus: 1, memoryMB: 1024, pids: 256, diskMB: 256)
        try await withExecutor { harness in
            let (jobId, _) = try await start(
                harness, python(Self.allReduce), limits: limits, environment: ["OMP_NUM_THREADS": "1"], workers: 2)
            let result = try await finish(harness.executor, jobId)
            let log = try fullLog(harness.executor, jobId)
            #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log)")
            let backend = Self.hostHasGloo() ? "gloo" : "socket"
            #expect(log.contains("0: backend=\(backend) rank=0 sum=3\n"), "\(log)")
            #expect(log.contains("1: backend=\(backend) rank=1 sum=3\n"), "\(log)")
        }
    }

    /// The workers' namespace has loopback and nothing else: not the host's listeners, not the
    /// internet, not another job's workers (all alive at once, so namespace ids cannot repeat).
    @Test func workersShareALoopbackOnlyNamespaceOfTheirOwn() async throws {
        let hostListener = try TestListener()
        defer { hostListener.close() }
        let hostNamespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        try await withExecutor { harness in
            // Job A: rank 0 listens on the master port; both wait until told to end.
            let waiting = python(
                """
                import os, socket, time
                print("netns=" + os.readlink("/proc/self/ns/net"), flush=True)
                if os.environ["RANK"] == "0":
                    server = socket.socket()
                    server.bind(("127.0.0.1", 29500))
                    server.listen()
                    print("listening", flush=True)
                while not os.path.exists("/job/go"):
                    time.sleep(0.05)
                """)
            let (other, _) = try await start(harness, waiting, workers: 2)
            #expect(try await eventually { try fullLog(harness.executor, other).contains("0: listening\n") })

            let probe = python(
                """
                import os, socket
                print("netns=" + os.readlink("/proc/self/ns/net"))
                print("interfaces=" + ",".join(name for _, name in socket.if_nameindex()))
                if os.environ.get("RANK", "0") == "0":
                    for address in [("127.0.0.1", \(hostListener.port)), ("127.0.0.1", 29500), ("1.1.1.1", 53)]:
                        try:
                            socket.create_connection(address, timeout=5).close()
                            print("CONNECTED", address)
                        except OSError as error:
                            print("blocked", address, error)
                """)
            let (result, log, _) = try await run(harness, probe, workers: 2)
            let (single, singleLog, _) = try await run(harness, probe)
            let otherLog = try fullLog(harness.executor, other)
            try FileManager.default.createDirectory(
                at: layout(harness, other).work.appendingPathComponent("go"), withIntermediateDirectories: false)
            #expect(try await finish(harness.executor, other).reason == .exited)

            #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log)")
            #expect(single.reason == .exited && single.exitCode == 0, "\(single) \(singleLog)")
            #expect(!log.contains("CONNECTED") && !singleLog.contains("CONNECTED"), "\(log) \(singleLog)")
            #expect(log.contains("0: blocked ('127.0.0.1', \(hostListener.port))"))
            #expect(log.contains("0: blocked ('127.0.0.1', 29500)"), "another job's worker is unreachable")
            #expect(log.contains("0: blocked ('1.1.1.1', 53)"))
            #expect(log.contains("0: interfaces=lo\n") && log.contains("1: interfaces=lo\n"))
            #expect(singleLog.contains("interfaces=lo\n"))

            let workers = namespaces(in: log)
            let others = namespaces(in: otherLog)
            let own = namespaces(in: singleLog)
            #expect(workers.count == 2 && Set(workers).count == 1, "both workers in one namespace: \(log)")
            #expect(others.count == 2 && Set(others).count == 1)
            #expect(own.count == 1)
            let all = Set(workers + others + own + [hostNamespace])
            #expect(all.count == 4, "the host, each job: a namespace each: \(all)")
        }
    }

    @Test func aFailingWorkerEndsTheOthersAndNamesItsRank() async throws {
        try await withExecutor { harness in
            let (jobId, _) = try await start(
                harness, ["/bin/sh", "-c", "if [ \"$RANK\" = 1 ]; then sleep 0.5; exit 3; fi; sleep 300"], workers: 2)
            let result = try await finish(harness.executor, jobId)
            #expect(result.reason == .exited, "\(result)")
            #expect(result.exitCode == 3)
            #expect(result.message == "rank 1: exited with code 3")
            #expect(result.endedAt.timeIntervalSince(result.startedAt) < 10, "rank 0's sleep was cut short")
            #expect(try await eventually { try await !harness.leftovers(of: jobId) })
        }
    }

    @Test func aWorkerPastItsOwnMemoryLimitIsOOMKilledAndNamed() async throws {
        // 2 × 64 MiB for the job: rank 1 alone may not take 100 MiB even while rank 0 idles.
        let limits = ResourceLimits(cpus: 1, memoryMB: 64, pids: 64, diskMB: 256)
        try await withExecutor { harness in
            let (jobId, _) = try await start(
                harness,
                python(
                    """
                    import os, time
                    if os.environ["RANK"] == "1":
                        b = bytearray(100 * 1024 * 1024)
                        for i in range(0, len(b), 4096):
                            b[i] = 1
                        print("survived", flush=True)
                    time.sleep(300)
                    """), limits: limits, workers: 2)
            let result = try await finish(harness.executor, jobId)
            #expect(result.reason == .oomKilled, "\(result)")
            #expect(result.message?.hasPrefix("rank 1: memory limit reached") == true, "\(result)")
            #expect(!(try fullLog(harness.executor, jobId)).contains("survived"))
        }
    }

    /// Each worker has the job's limits in a cgroup of its own; the job's cgroup holds their sum.
    @Test func eachWorkerHasItsOwnCgroupAndTheJobTheSum() async throws {
        let limits = ResourceLimits(cpus: 0.5, memoryMB: 96, pids: 40, diskMB: 256)
        try await withExecutor { harness in
            let (jobId, _) = try await start(harness, ["/bin/sleep", "600"], limits: limits, workers: 3)
            let cgroups = try CgroupHierarchy.detect().cgroups(for: jobId)
            #expect(try await eventually { cgroups.processIDs().count >= 6 }, "3 × bwrap's two and sleep")
            #expect(memoryLimit(of: cgroups) == 3 * 96 << 20)
            for rank in 0..<3 {
                let worker = cgroups.worker(rank)
                #expect(memoryLimit(of: worker) == 96 << 20)
                #expect(!worker.processIDs().isEmpty, "worker \(rank) runs in its own cgroup")
            }
            #expect(harness.executor.usage(of: jobId) != nil)
            try await harness.executor.cancel(jobId)
        }
    }

    @Test func cancelEndsEveryWorker() async throws {
        try await withExecutor { harness in
            let executor = harness.executor
            let (jobId, _) = try await start(harness, ["/bin/sh", "-c", "sleep 600 & sleep 600"], workers: 2)
            let cgroups = try CgroupHierarchy.detect().cgroups(for: jobId)
            #expect(try await eventually { cgroups.worker(1).processIDs().count >= 3 })

            try await executor.cancel(jobId)
            let result = try await finish(executor, jobId)
            #expect(result.reason == .cancelled, "\(result)")
            #expect(cgroups.processIDs().isEmpty)
            #expect(try await eventually { try await !harness.leftovers(of: jobId) })
        }
    }

    @Test func aTimeoutEndsEveryWorker() async throws {
        try await withExecutor { harness in
            let (result, _, _) = try await run(harness, ["/bin/sleep", "600"], timeoutSeconds: 1, workers: 2)
            #expect(result.reason == .timedOut, "\(result)")
        }
    }

    /// The supervisor is detached: an executor started afresh (an agent restart) follows the
    /// job to its end, and the log has every worker's lines once.
    @Test func aNewExecutorReattachesToAMultiWorkerJob() async throws {
        try await withExecutor { harness in
            let (jobId, _) = try await start(
                harness, ["/bin/sh", "-c", "echo before; while [ ! -e /job/go ]; do sleep 0.05; done; echo done"],
                workers: 2)
            #expect(
                try await eventually {
                    let log = try fullLog(harness.executor, jobId)
                    return log.contains("0: before\n") && log.contains("1: before\n")
                })
            let second = try await harness.reopened().executor
            #expect(second.result(of: jobId) == nil)
            try FileManager.default.createDirectory(
                at: layout(harness, jobId).work.appendingPathComponent("go"), withIntermediateDirectories: false)
            let result = try await finish(second, jobId)
            #expect(result.reason == .exited && result.exitCode == 0, "\(result)")
            let lines = try fullLog(second, jobId).split(separator: "\n").sorted()
            #expect(lines == ["0: before", "0: done", "1: before", "1: done"])
        }
    }

    @Test func aVeryLongLineIsCutIntoLabelledPiecesOf64KiB() async throws {
        try await withExecutor { harness in
            let (jobId, _) = try await start(
                harness, python("import os\nif os.environ['RANK'] == '1': print('x' * 150000)"), workers: 2)
            #expect(try await finish(harness.executor, jobId).exitCode == 0)
            let lines = try fullLog(harness.executor, jobId).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.map(\.count) == [65536 + 3, 65536 + 3, 150000 - 2 * 65536 + 3, 0])
            #expect(lines.dropLast().allSatisfy { $0.hasPrefix("1: xxx") })
        }
    }

    // MARK: - The labeller alone

    @Test func theLabellerEmitsWholeLinesAndEndsTheLastOne() {
        var labeler = RankLabeler(rank: 3)
        #expect(labeler.lines(completedBy: Array("a\nb".utf8)) == Array("3: a\n".utf8))
        #expect(labeler.lines(completedBy: Array("c\n\nd".utf8)) == Array("3: bc\n3: \n".utf8))
        #expect(labeler.finish() == Array("3: d\n".utf8))
        #expect(labeler.finish() == [])
    }

    @Test func theLabellerCutsOverlongLinesWithoutSplittingACharacter() {
        var labeler = RankLabeler(rank: 0)
        // 65535 bytes of "a", then "é" (2 bytes) straddles the 64 KiB mark.
        let text = Array(String(repeating: "a", count: 65535).utf8) + Array("éz".utf8)
        let lines = labeler.lines(completedBy: text).split(separator: UInt8(ascii: "\n"))
        #expect(lines.count == 1 && lines[0].count == 3 + 65535)
        #expect(labeler.finish() == Array("0: éz\n".utf8))
    }

    @Test func aWorkersSandboxRunsInItsStartersNetworkAndItsVariablesWin() throws {
        let job = SandboxJob(
            jobId: "j1", command: ["/bin/true"], environment: ["RANK": "7", "SEED": "1"], limits: roomyLimits,
            workers: 2)
        let directories = JobDirectories(
            work: URL(fileURLWithPath: "/srv/j1/work"), output: URL(fileURLWithPath: "/srv/j1/output"))
        let variables = WorkerEnvironment.variables(rank: 1, localRank: 1, worldSize: 2, masterAddress: "127.0.0.1")
        let worker = try SandboxCommand.arguments(
            job: job, directories: directories, uid: 65534, gid: 65534, workerVariables: variables,
            network: .inherited)
        #expect(!worker.contains("--unshare-net") && worker.contains("--unshare-pid"))
        var environment: [String: String] = [:]
        for index in worker.indices where worker[index] == "--setenv" {
            environment[worker[index + 1]] = worker[index + 2]
        }
        #expect(environment["RANK"] == "1" && environment["WORLD_SIZE"] == "2" && environment["SEED"] == "1")
        let alone = try SandboxCommand.arguments(job: job, directories: directories, uid: 65534, gid: 65534)
        #expect(alone.contains("--unshare-net"))
    }

    /// The first failure decides; workers killed because of it change nothing; of failures seen
    /// together, an OOM kill wins, then the lowest rank.
    @Test func theFirstFailingWorkerDecidesTheResult() {
        let killed = WaitStatus(raw: 137 << 8)
        var ends = WorkerEnds(workers: 3)
        ends.record([(0, .init(status: WaitStatus(raw: 0), oomKills: 0))])
        #expect(!ends.failed)
        ends.record([(0, .init(status: killed, oomKills: 0)), (2, .init(status: killed, oomKills: 1))])
        ends.record([(1, .init(status: WaitStatus(raw: 3 << 8), oomKills: 0))])
        #expect(ends.decidingRank == 2 && ends.allEnded)
        let outcome = ends.outcome(
            cancelled: false, timedOut: false, diskFull: false, timeoutSeconds: nil, namingTheRank: true)
        #expect(outcome.reason == .oomKilled && outcome.message?.hasPrefix("rank 2: memory limit reached") == true)
        let cancelled = ends.outcome(
            cancelled: true, timedOut: false, diskFull: false, timeoutSeconds: nil, namingTheRank: true)
        #expect(cancelled.reason == .cancelled && cancelled.message == "cancelled")

        var fine = WorkerEnds(workers: 2)
        fine.record([
            (1, .init(status: WaitStatus(raw: 0), oomKills: 0)), (0, .init(status: WaitStatus(raw: 0), oomKills: 0)),
        ])
        #expect(
            fine.outcome(cancelled: false, timedOut: false, diskFull: true, timeoutSeconds: nil, namingTheRank: true)
                == .init(reason: .exited, exitCode: 0))
    }

    // MARK: - Helpers

    /// Each rank contributes rank + 1; exits 0 only if it got the sum 3 back.
    static let allReduce = """
        import datetime, os, socket, sys, time
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        address = (os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]))
        try:
            import torch, torch.distributed as dist
            backend = "gloo" if dist.is_gloo_available() else "socket"
        except ImportError:
            backend = "socket"
        if backend == "gloo":
            dist.init_process_group(
                "gloo", init_method="env://", rank=rank, world_size=world, timeout=datetime.timedelta(seconds=60))
            value = torch.tensor([float(rank + 1)])
            dist.all_reduce(value)
            total = int(value.item())
            dist.destroy_process_group()
        elif rank == 0:
            server = socket.create_server(address)
            peers = [server.accept()[0] for _ in range(world - 1)]
            total = 1 + sum(int(peer.recv(64)) for peer in peers)
            for peer in peers:
                peer.sendall(str(total).encode())
        else:
            for _ in range(600):
                try:
                    peer = socket.create_connection(address)
                    break
                except OSError:
                    time.sleep(0.05)
            peer.sendall(str(rank + 1).encode())
            total = int(peer.recv(64))
        print(f"backend={backend} rank={rank} sum={total}", flush=True)
        sys.exit(0 if total == 3 else 1)
        """

    static func hostHasGloo() -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import torch.distributed as d; print(d.is_gloo_available())"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).hasPrefix("True")
    }

    func layout(_ harness: Harness, _ jobId: String) -> JobLayout {
        JobLayout(root: harness.root.resolvingSymlinksInPath(), jobId: jobId)
    }

    func namespaces(in log: String) -> [String] {
        log.matches(of: /netns=(\S+)/).map { String($0.1) }
    }

    func memoryLimit(of cgroups: JobCgroups) -> Int? {
        switch cgroups.version {
        case .v1: cgroups.paths["memory"].flatMap { SysFile.readInt($0 + "/memory.limit_in_bytes") }
        case .v2: cgroups.paths["unified"].flatMap { SysFile.readInt($0 + "/memory.max") }
        }
    }
}
