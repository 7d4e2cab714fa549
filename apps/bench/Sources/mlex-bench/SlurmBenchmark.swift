import Foundation
import Platform

/// The slurm executor's goal beside its reference in the same run: how soon a trivial job runs
/// after its submission (compute and an agent with the slurm executor), against a plain
/// `sbatch --wrap /bin/true` polled with `squeue` until RUNNING — what any Slurm user pays
/// anyway. Both on a one-node cluster of this machine's own (apps/run/slurm-cluster.sh, started
/// and stopped here; needs root and `make deps`' slurm-wlm + munge).
struct SlurmBenchmark {
    let directory: URL
    let jobs: Int

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Short: munged's socket lives in it, and a unix socket path has at most 107 bytes.
        let cluster = URL(fileURLWithPath: "/tmp/mlex-bench-slurm-\(UUID().uuidString.prefix(8))")
        let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("apps/run/slurm-cluster.sh").path
        defer {
            _ = try? Self.execute("/bin/bash", [script, "stop", cluster.path])
            try? FileManager.default.removeItem(at: cluster)
        }
        let started = try Self.execute("/bin/bash", [script, "start", cluster.path])
        guard started.status == 0 else {
            throw CocoaError(
                .executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(script) start failed: \(started.output)"])
        }
        let conf = cluster.appendingPathComponent("slurm.conf").path
        let plain = try plainSbatch(conf: conf)

        let state = directory.appendingPathComponent("state")
        let services = try await BenchServices.start(directory: state)
        defer { services.stop() }
        let (computeTask, agentTask, compute) = try await ComputeBenchmark.startCompute(
            state: state, services: services,
            agentEnvironment: ["MLEX_AGENT_EXECUTOR": "slurm", "MLEX_AGENT_SLURM_CONF": conf]
        )
        defer {
            agentTask.cancel()
            computeTask.cancel()
        }
        let project = try await services.client.call("POST", "/v1/projects", #"{"name": "slurm"}"#)["id"]!.stringValue!
        let trivial =
            #"{"projectId": "\#(project)", "command": ["/bin/true"], "resources": {"cpus": 0.1, "memoryMB": 64}}"#
        let (toRunning, toDone) = try await ComputeBenchmark.submitOneByOne(
            trivial, count: jobs, executor: "slurm executor", compute: compute)
        Table.printRates(
            title: "compute, slurm executor: a trivial job from submission to running, \(jobs) jobs one after another",
            rows: [plain, toRunning, toDone],
            reference: "sbatch --wrap /bin/true, polled with squeue (every 20 ms) until RUNNING, same cluster"
        )
    }

    /// sbatch, then `squeue -h -j ID -o %T` every 20 ms until it says RUNNING or no longer lists
    /// the job (a /bin/true can end between two polls): submission → running as a user sees it.
    private func plainSbatch(conf: String) throws -> Measurement {
        var row = Measurement(name: "sbatch → squeue RUNNING (the reference)", operations: jobs)
        let environment = ProcessInfo.processInfo.environment.merging(["SLURM_CONF": conf]) { $1 }
        let start = ContinuousClock.now
        for _ in 0..<jobs {
            let began = ContinuousClock.now
            let submitted = try Self.execute(
                "/usr/bin/sbatch", ["--parsable", "--mem=64M", "--output=/dev/null", "--wrap", "/bin/true"],
                environment: environment)
            let id = submitted.output.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard submitted.status == 0, let id, !id.isEmpty else {
                throw CocoaError(
                    .executableLoad, userInfo: [NSLocalizedDescriptionKey: "sbatch failed: \(submitted.output)"])
            }
            while true {
                let state = try Self.execute("/usr/bin/squeue", ["-h", "-j", id, "-o", "%T"], environment: environment)
                    .output.trimmingCharacters(in: .whitespacesAndNewlines)
                if state != "PENDING" && state != "CONFIGURING" { break }
                usleep(20_000)
            }
            row.latencies.append(ContinuousClock.now - began)
        }
        row.elapsed = ContinuousClock.now - start
        return row
    }

    /// posix_spawn and waitpid rather than Process: Foundation can miss a child's exit on Linux
    /// and block waitUntilExit forever (PlatformTesting's `exitCode(of:)` says more). Standard
    /// output and error go to one temporary file, returned with the exit status.
    static func execute(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> (status: Int32, output: String) {
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("mlex-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: capture) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = ([executable] + arguments).map { strdup($0) } + [nil]
        let cEnvironment =
            (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cArguments + cEnvironment { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else {
            throw CocoaError(
                .executableLoad,
                userInfo: [NSLocalizedDescriptionKey: "cannot run \(executable): \(String(cString: strerror(spawned)))"]
            )
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let output = (try? String(contentsOf: capture, encoding: .utf8)) ?? ""
        // Exited: the low 7 bits are 0 and the code is the next byte; otherwise a signal (-1).
        return (status & 0x7f == 0 ? (status >> 8) & 0xff : -1, output)
    }
}
