import ComputeExecutors
import Foundation

/// Runs Slurm's client commands (`sbatch`, `scontrol`, `scancel`, `sinfo`, `sstat`) and returns
/// what they print. The commands, not slurmrestd: every Slurm installation has them, they speak
/// to slurmctld with the cluster's own authentication (munge), and their `--parsable`/`-o`
/// output is stable, whereas slurmrestd is an extra daemon with JWT setup and an OpenAPI
/// version per Slurm release.
public struct SlurmCommands: Sendable {
    /// Where the commands are; empty: found on PATH.
    public var binDirectory: String
    /// Added to the commands' environment, e.g. `SLURM_CONF` for a cluster configured elsewhere.
    public var environment: [String: String]

    public init(binDirectory: String = "", environment: [String: String] = [:]) {
        self.binDirectory = binDirectory
        self.environment = environment
    }

    public struct Failure: Error, CustomStringConvertible {
        public let command: String
        public let status: Int32
        public let output: String
        public var description: String { "\(command) exited with \(status): \(output)" }
    }

    /// Runs `tool` with `arguments` and waits for it; stdout on success, `Failure` (with
    /// stderr) otherwise. Through `ProcessSpawner.run`: posix_spawn, waitpid and files, never a
    /// pipe a daemon could inherit.
    public func run(_ tool: String, _ arguments: [String]) throws -> String {
        let program = binDirectory.isEmpty ? tool : URL(fileURLWithPath: binDirectory).appendingPathComponent(tool).path
        let environment = ProcessInfo.processInfo.environment.merging(self.environment) { _, given in given }
        let completion = try ProcessSpawner.run(
            [program] + arguments, environment: environment.map { "\($0.key)=\($0.value)" })
        guard completion.status == 0 else {
            throw Failure(
                command: ([tool] + arguments).joined(separator: " "), status: completion.status,
                output: (completion.errors + completion.output).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return completion.output
    }
}
