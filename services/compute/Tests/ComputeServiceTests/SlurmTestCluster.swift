import ComputeSlurm
import Foundation
import Glibc
import PlatformTesting
import Synchronization

/// A real one-node Slurm cluster (munged, slurmctld, slurmd from Debian's slurm-wlm) for the
/// Slurm executor's tests: apps/run/slurm-cluster.sh, started once per test process into a
/// temporary directory and stopped at exit (the script cancels the jobs left, then kills the
/// daemons by pid). No site cluster is reachable here, and a fake one would not show what
/// matters: cgroup limits, OOM kills, time limits, scancel.
struct SlurmTestCluster: Sendable {
    /// The cluster's state directory: slurm.conf, logs (`log/`), jobcomp.txt.
    let directory: URL
    /// The node's name (`hostname -s` plus a suffix, see the script), its CPUs and memory.
    let nodeName: String
    let cpus: Int
    let memoryMB: Int

    /// What every Slurm client (sbatch, squeue, scontrol, scancel, sinfo) needs to find it.
    var configFile: URL { directory.appendingPathComponent("slurm.conf") }
    var environment: [String: String] { ["SLURM_CONF": configFile.path] }
    /// One line per ended job (jobcomp/filetxt), kept after `scontrol` forgets the job.
    var jobCompletionFile: URL { directory.appendingPathComponent("jobcomp.txt") }

    /// A start failure is kept too, so every Slurm test fails at once with its cause.
    static let shared: Result<SlurmTestCluster, any Error> = Result { try start() }

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the Slurm client `tool` (found on PATH) with this cluster's SLURM_CONF; its exit
    /// status and standard output (standard error is appended, for a failing test's message).
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try Self.execute(
            "/usr/bin/env", [tool] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    private static func start() throws -> SlurmTestCluster {
        let script = repositoryRoot().appendingPathComponent("apps/run/slurm-cluster.sh").path
        let directory = try temporaryDirectory()
        stopAtExit(script: script, directory: directory)
        let (status, output) = try execute("/bin/bash", [script, "start", directory.path])
        guard status == 0 else {
            throw Unavailable(description: "\(script) start failed (\(status)): \(output)")
        }
        let partial = SlurmTestCluster(directory: directory, nodeName: "", cpus: 0, memoryMB: 0)
        // `%N %c %m`: name, CPUs, memory in MB.
        let node =
            try partial.run("sinfo", ["-h", "-N", "-o", "%N %c %m"]).output
            .split(separator: "\n").first?.split(separator: " ").map(String.init) ?? []
        guard node.count == 3, let cpus = Int(node[1]), let memoryMB = Int(node[2]) else {
            throw Unavailable(description: "sinfo did not describe the node: \(node)")
        }
        return SlurmTestCluster(directory: directory, nodeName: node[0], cpus: cpus, memoryMB: memoryMB)
    }

    /// posix_spawn and waitpid rather than Process: Foundation can miss a child's exit on Linux
    /// and block waitUntilExit forever (see `exitCode(of:)` in PlatformTesting); it did here.
    private static func execute(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> (status: Int32, output: String) {
        // A file, not a pipe: output of any size cannot block the child before it exits.
        let capture = try temporaryDirectory().appendingPathComponent("output")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") }
        let cEnvironment = variables + [nil]
        defer { for pointer in cArguments + cEnvironment { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else {
            throw Unavailable(description: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let output = (try? String(contentsOf: capture, encoding: .utf8)) ?? ""
        // Exited: the low 7 bits are 0 and the code is the next byte; otherwise a signal (-1).
        return (status & 0x7f == 0 ? (status >> 8) & 0xff : -1, output)
    }

    /// `slurm-cluster.sh stop` at exit rather than `stopAtExit` per daemon pid: it cancels the
    /// jobs first, so no job's slurmstepd (and sandbox) outlives slurmd. posix_spawn, not
    /// Process: Foundation's run loop is not to be relied on in an exit handler.
    private static func stopAtExit(script: String, directory: URL) {
        stopCommand.withLock { $0 = [script, "stop", directory.path] }
        atexit {
            let arguments = ["/bin/bash"] + stopCommand.withLock { $0 }
            var cArguments = arguments.map { strdup($0) } + [nil]
            defer { for argument in cArguments { free(argument) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, "/bin/bash", nil, nil, &cArguments, environ) == 0 else { return }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

// atexit takes a C function, which cannot capture: the stop command lives here.
private let stopCommand = Mutex<[String]>([])

extension SlurmTestCluster {
    /// A slurm executor submitting to this cluster's `debug` partition, its job dirs in a
    /// fresh temporary directory: what every executor-level Slurm suite starts from.
    func executor() throws -> SlurmExecutor {
        try SlurmExecutor(
            root: try temporaryDirectory().appendingPathComponent("jobs"),
            commands: SlurmCommands(environment: environment), partition: "debug")
    }
}
